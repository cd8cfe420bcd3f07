"""The app's pages; each is a script `main.py` runs through st.navigation."""
