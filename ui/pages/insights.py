"""The insights page (/insights): run by st.navigation; ui.insights checks the role itself."""

from ui import insights

insights.render()
