"""Charts drawn on the server as SVG: no JavaScript library, no CDN, readable without a browser plug-in.

Every text that reaches the SVG is escaped here, so labels and names from
users can never become markup; the functions return SafeString for templates.
"""
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="system-ui, sans-serif" font-size="12"'
PALETTE = ("#2a9d8f", "#e76f51", "#8d99ae", "#e9c46a", "#264653", "#f4a261", "#9b5de5", "#00bbf9")


def _svg(width: int, height: int, body: list[str], title: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" {FONT}><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def bar_chart(rows: list[tuple[str, dict[str, float]]], series: list[str], *, title: str,
              colors: dict[str, str] | None = None, width: int = 640) -> SafeString:
    """Horizontal stacked bars: one row per name, one segment per series."""
    colors = colors or {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    row_h, label_w, top = 26, 170, 28
    height = top + row_h * max(len(rows), 1) + 10
    total_max = max((sum(values.get(s, 0) for s in series) for _, values in rows), default=0) or 1
    scale = (width - label_w - 60) / total_max
    body = []
    for i, name in enumerate(series):  # legend
        body.append(f'<rect x="{label_w + i * 110}" y="6" width="12" height="12" fill="{colors[name]}"/>'
                    f'<text x="{label_w + i * 110 + 16}" y="16">{escape(name)}</text>')
    for r, (label, values) in enumerate(rows):
        y = top + r * row_h
        body.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(label[:28])}</text>')
        x = label_w
        for name in series:
            value = values.get(name, 0)
            if value:
                w = value * scale
                body.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                            f'fill="{colors[name]}"><title>{escape(label)}: {escape(name)} {value:g}</title></rect>')
                x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 16}" fill="#555">{sum(values.get(s, 0) for s in series):g}</text>')
    if not rows:
        body.append(f'<text x="{label_w}" y="{top + 16}" fill="#777">No data yet.</text>')
    return _svg(width, height, body, title)


def line_chart(points: list[tuple[str, dict[str, float]]], series: list[str], *, title: str,
               width: int = 640, height: int = 220) -> SafeString:
    """Lines over ordered x labels (dates), one per series, with the first and last x labels shown."""
    left, bottom, top, right = 40, 30, 26, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max((v.get(s, 0) for _, v in points for s in series), default=0) or 1
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#bbb"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="#555">{top_value:g}</text>',
            f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" fill="#555">0</text>']
    for i, name in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        body.append(f'<rect x="{left + i * 110}" y="6" width="12" height="12" fill="{color}"/>'
                    f'<text x="{left + i * 110 + 16}" y="16">{escape(name)}</text>')
        if not points:
            continue
        step = plot_w / max(len(points) - 1, 1)
        coords = " ".join(f"{left + k * step:.1f},{top + plot_h - v.get(name, 0) / top_value * plot_h:.1f}"
                          for k, (_, v) in enumerate(points))
        body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
    if points:
        body.append(f'<text x="{left}" y="{height - 8}" fill="#555">{escape(points[0][0])}</text>'
                    f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" fill="#555">'
                    f'{escape(points[-1][0])}</text>')
    else:
        body.append(f'<text x="{left + 10}" y="{top + plot_h / 2}" fill="#777">No data yet.</text>')
    return _svg(width, height, body, title)


def heatmap(rows: list[str], cols: list[str], value, *, title: str, fmt=lambda v: f"{v:.2f}",
            color=None, link=None, reason=None, cell: int = 64) -> SafeString:
    """A grid: value(row, col) -> number or None; color(value) -> fill; link(row, col) -> href or None;
    reason(row, col) -> why a value is None (shown under its "–"), or None for a cell that has no value to give."""
    color = color or (lambda v: f"hsl({120 * max(0.0, min(1.0, v)):.0f}, 60%, 70%)")
    label_w, label_h = 190, 120
    width, height = label_w + cell * max(len(cols), 1) + 10, label_h + cell * max(len(rows), 1) + 10
    body = []
    for c, name in enumerate(cols):
        x = label_w + c * cell + cell / 2
        body.append(f'<text transform="translate({x:.0f},{label_h - 6}) rotate(-40)">{escape(name[:30])}</text>')
    for r, row in enumerate(rows):
        y = label_h + r * cell
        body.append(f'<text x="{label_w - 8}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">{escape(row[:28])}</text>')
        for c, col in enumerate(cols):
            v = value(row, col)
            x = label_w + c * cell
            fill = "#f1f1f1" if v is None else color(v)
            text = "–" if v is None else fmt(v)
            why = reason(row, col) if reason and v is None else None
            tile = (f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                    f'<title>{escape(row)} × {escape(col)}: {escape(text)}{f" ({escape(why)})" if why else ""}'
                    f'</title></rect>'
                    f'<text x="{x + cell / 2 - 1:.0f}" y="{y + cell / 2 + 4:.0f}" text-anchor="middle">'
                    f'{escape(text)}</text>')
            if why:
                tile += (f'<text x="{x + cell / 2 - 1:.0f}" y="{y + cell / 2 + 18:.0f}" text-anchor="middle" '
                         f'font-size="9" fill="#555">{escape(why)}</text>')
            href = link(row, col) if link and v is not None else None
            body.append(f'<a href="{escape(href)}">{tile}</a>' if href else tile)
    return _svg(width, height, body, title)
