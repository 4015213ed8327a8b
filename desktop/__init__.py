"""The cashier's terminal (PySide6 app, local cache, sync client)."""
