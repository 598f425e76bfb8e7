"""The page scripts st.navigation runs (app.py lists them by role). Each is two lines: the page
itself lives in its ui/ module, which checks the role before it shows anything. Not named
pages/ beside app.py: Streamlit would serve such a folder on its own (see ui/__init__.py)."""
