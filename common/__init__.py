"""The loyalty domain: pure, typed rules shared by the terminal and the sync server."""
