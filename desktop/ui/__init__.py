"""The cashier's window (PySide6): thin widgets over desktop.engine."""
