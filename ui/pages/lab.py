"""The Prompt lab page (/lab): run by st.navigation; ui.lab checks the role itself."""

from ui import lab
from ui.session import answering_connection, knowledge

lab.render(answering_connection()[0], knowledge())
