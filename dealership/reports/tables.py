"""What every panel hands the page: tables (also exported as CSV) and charts drawn from them."""

from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled table. `name` is its CSV export key; cells are plain values (str, int,
    Decimal, date, None), formatted by the template or written as they are to CSV."""

    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Bar:
    label: str
    value: float
    display: str
    y: int = 0
    width: float = 0.0


@dataclass
class BarChart:
    """A horizontal bar chart, laid out here so the SVG template only places what it gets."""

    title: str
    bars: list[Bar]
    width: int = 640
    label_width: int = 170
    bar_height: int = 22
    gap: int = 8

    def __post_init__(self):
        top = max((b.value for b in self.bars), default=0) or 1
        room = self.width - self.label_width - 80
        for i, bar in enumerate(self.bars):
            bar.y = i * (self.bar_height + self.gap)
            bar.width = round(max(bar.value, 0) / top * room, 1)

    @property
    def height(self) -> int:
        return max(len(self.bars) * (self.bar_height + self.gap), self.bar_height)

    @property
    def bar_x(self) -> int:
        return self.label_width

    @property
    def text_y_offset(self) -> int:
        return self.bar_height // 2 + 5


def chart_from(table: Table, *, label_col: int, value_col: int, title: str = "") -> BarChart:
    """Bars for one numeric column of a table: the chart shows exactly the table's figures."""
    bars = [
        Bar(
            label=str(row[label_col]),
            value=float(row[value_col] or 0),
            display="–" if row[value_col] is None else str(row[value_col]),
        )
        for row in table.rows
    ]
    return BarChart(title=title or table.title, bars=bars)
