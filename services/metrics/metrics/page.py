"""The scoreboard as one HTML page that reads well on a 360px phone: Hindi and English labels, no
external fonts, scripts or stylesheets."""
from datetime import timedelta
from html import escape

from .domain import COMPONENTS, week_label, week_start

LEVELS = {
    "district": ("ज़िला", "District"),
    "department": ("विभाग", "Department"),
    "office": ("कार्यालय", "Office"),
}

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Devanagari",sans-serif;
color:#1b1b1b;background:#f4f5f7}
header{background:#123a63;color:#fff;padding:12px 14px}
h1{font-size:1.25rem;margin:0}
h1 small,.en{font-weight:normal;opacity:.85;font-size:.85em}
.week{margin:4px 0 0;font-size:.9rem}
nav{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}
nav a{color:#fff;border:1px solid #ffffff80;border-radius:16px;padding:4px 10px;text-decoration:none;font-size:.85rem}
nav a[aria-current]{background:#fff;color:#123a63}
main{max-width:40rem;margin:0 auto;padding:10px}
ol{list-style:none;margin:0;padding:0}
li{background:#fff;border-radius:10px;margin:0 0 8px;padding:10px 12px;display:grid;
grid-template-columns:2.2rem 1fr auto;gap:2px 10px;align-items:center;box-shadow:0 1px 2px #0002}
.rank{font-size:1.3rem;font-weight:700;color:#123a63;text-align:center}
.name{min-width:0;overflow-wrap:anywhere}
.name b{display:block}
.score{font-size:1.5rem;font-weight:700;text-align:right}
.bar{grid-column:2/4;height:6px;background:#e3e6ea;border-radius:3px;overflow:hidden}
.bar span{display:block;height:100%;background:#2e7d32}
.meta{grid-column:2/4;font-size:.8rem;color:#555}
.up{color:#2e7d32}.down{color:#c62828}
details{background:#fff;border-radius:10px;padding:10px 12px;margin-top:12px}
table{width:100%;border-collapse:collapse;font-size:.85rem}
td{padding:4px 2px;border-top:1px solid #eee;vertical-align:top}
td.w{text-align:right;white-space:nowrap}
footer{font-size:.75rem;color:#666;text-align:center;padding:8px 10px 16px}
"""


def _change(change):
    if change is None:
        return '<span title="new">नया · new</span>'
    if change > 0:
        return f'<span class="up" title="up {change}">▲ {change}</span>'
    if change < 0:
        return f'<span class="down" title="down {-change}">▼ {-change}</span>'
    return '<span title="no change">–</span>'


def scoreboard_page(week, level, rows, settings, previous_week=None, next_week=None):
    """`rows`: dicts with rank, unit, name_en, name_hi, score, active, rank_change, pending, pending_old."""
    start = week_start(week)
    end = start + timedelta(days=6)
    level_hi, level_en = LEVELS[level]

    def link(week_value, level_value):
        return escape(f"?week={week_label(week_value)}&level={level_value}")

    tabs = "".join(
        f'<a href="{link(week, name)}"{" aria-current=page" if name == level else ""}>{hi} · {en}</a>'
        for name, (hi, en) in LEVELS.items()
    )
    if previous_week:
        tabs += f'<a href="{link(previous_week, level)}">← पिछला सप्ताह · previous week</a>'
    if next_week:
        tabs += f'<a href="{link(next_week, level)}">अगला सप्ताह · next week →</a>'
    items = []
    for row in rows:
        score = row["score"]
        shown = f"{score:.1f}" if row["active"] else '<span class="en">कोई गतिविधि नहीं · no activity</span>'
        items.append(
            "<li>"
            f'<span class="rank">{row["rank"]}</span>'
            f'<span class="name"><b lang="hi">{escape(row["name_hi"])}</b><span class="en">{escape(row["name_en"])}</span></span>'
            f'<span class="score">{shown}</span>'
            f'<span class="bar" aria-hidden="true"><span style="width:{max(0.0, min(10.0, score)) * 10:.0f}%"></span></span>'
            f'<span class="meta">{_change(row["rank_change"])} · लंबित / pending {row["pending"]}'
            f' · {settings.pendency_days + 1}+ दिन / days {row["pending_old"]}</span>'
            "</li>"
        )
    total_weight = sum(settings.weights.values())
    formula = "".join(
        f'<tr><td><span lang="hi">{escape(c.label_hi)}</span><br><span class="en">{escape(c.label_en)}</span></td>'
        f'<td class="w">{100 * settings.weights[c.name] / total_weight:.0f}%</td></tr>'
        for c in COMPONENTS
    )
    body = "".join(items) or "<li><span></span><span>इस सप्ताह कोई अंक नहीं · no scores this week</span></li>"
    return f"""<!doctype html>
<html lang="hi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ई-ऑफिस स्कोरबोर्ड · eOffice scoreboard {escape(week_label(week))}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>ई-ऑफिस स्कोरबोर्ड <small>eOffice scoreboard</small></h1>
<p class="week">सप्ताह / week {escape(week_label(week))} · {start:%d.%m.%Y} – {end:%d.%m.%Y} · {level_hi} / {level_en}</p>
<nav>{tabs}</nav>
</header>
<main>
<ol>{body}</ol>
<details>
<summary>अंक कैसे बनते हैं · how the score is made</summary>
<p>हर घटक 0–10 पर, फिर भार के अनुसार औसत। Each component is put on a 0–10 scale; the score is their weighted average.</p>
<table>{formula}</table>
</details>
</main>
<footer>स्रोत · source: eoffice metrics</footer>
</body>
</html>
"""
