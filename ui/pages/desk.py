"""The agent desk page (/desk): run by st.navigation; ui.desk checks the role itself."""

from ui import desk

desk.render()
