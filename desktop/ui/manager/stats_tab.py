"""Today's activity as two charts, visits and points, each on its own scale, plus the
program's running totals."""

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.engine.manager_api import ManagerApi, Stats
from desktop.ui.background import Background
from desktop.ui.manager import ManagerTab
from desktop.ui.manager.chart import COLORS, BarChart


class StatsTab(ManagerTab):
    def __init__(
        self, api: ManagerApi, background: Background, parent: QWidget | None = None
    ) -> None:
        super().__init__(api, background, parent)
        self.counts = BarChart("Today: how many")
        self.points = BarChart("Today: points earned", colors=(COLORS[3],))
        self.heading = QLabel("Today, since midnight in this store's time zone")
        self.figures: dict[str, QLabel] = {
            name: QLabel("—")
            for name in (
                "transactions",
                "total_cards",
                "active_cards",
                "cards_active_30d",
                "outstanding_points",
            )
        }
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.clicked.connect(self.refresh)

        totals = QFormLayout()
        totals.addRow("Transactions today", self.figures["transactions"])
        totals.addRow("Cards", self.figures["total_cards"])
        totals.addRow("Active cards", self.figures["active_cards"])
        totals.addRow("Cards used in 30 days", self.figures["cards_active_30d"])
        totals.addRow("Points outstanding", self.figures["outstanding_points"])
        bottom = QHBoxLayout()
        bottom.addLayout(totals, 1)
        bottom.addWidget(self.refresh_button)
        charts = QHBoxLayout()
        charts.addWidget(self.counts, 3)
        charts.addWidget(self.points, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(charts, 1)
        layout.addLayout(bottom)

    def refresh(self) -> None:
        self.call(self.api.stats, self._show)

    def _show(self, stats: Stats) -> None:
        today = stats.today
        self.heading.setText(f"Today, since midnight in this store's time zone ({self.zone})")
        self.counts.set_bars(
            [
                ("Stamps", today.stamps),
                ("Redemptions", today.redemptions),
                ("New cards", today.enrollments),
            ]
        )
        self.points.set_bars([("Points", today.points_earned)])
        values = {
            "transactions": today.transactions,
            "total_cards": stats.total_cards,
            "active_cards": stats.active_cards,
            "cards_active_30d": stats.cards_active_30d,
            "outstanding_points": stats.outstanding_points,
        }
        for name, value in values.items():
            self.figures[name].setText(f"{value:,}")
