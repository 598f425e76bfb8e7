"""The app's pages (chat for customers; the agent desk, insights and the Prompt lab for staff)
and what they share (session state, how a message looks, the streamed turn). app.py chooses
the page with st.navigation.

UI only: no turn logic, storage or prompt text here. Named ui/, not pages/: Streamlit 1.67
runs the first script run of each server process in its old pages/-folder mode (before the
entry can call st.navigation), which listed every module here as a page in the sidebar and
ran /desk as a bare script.
"""
