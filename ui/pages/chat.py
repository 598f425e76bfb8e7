"""The chat page (/, everyone): run by st.navigation as a script on every rerun."""

from ui import chat

chat.render()
