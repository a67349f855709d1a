"""The offline namer: deterministic rules from a factor's evidence to name, description, confidence.

The rules, in order (every threshold is a module constant):

1. **Market.** At least ``MARKET_BREADTH`` (90 %) of the held stocks on one side and a net
   weight of at least ``MARKET_NET`` (0.6) in absolute value -> "Market beta" (or "Short
   market"), unless one sector dominates the weights (sector score >= ``SECTOR_DOMINANT``), in
   which case rule 2 names it.
2. **Themes.** Each theme gets a signed score in [-1, 1]:

   * a style (size, value, momentum, low volatility, beta, quality): the cross-sectional
     correlation of the weights with the characteristic's z-scores on the weights' date when
     that characteristic is known (value falls back on earnings yield), else the mean
     market-neutral correlation of the factor's returns with the theme's reference series
     (``ls_<characteristic>`` spreads and the factor ETFs MTUM, VLUE, SIZE (small-cap tilt),
     USMV, QUAL);
   * sectors: sqrt of the adjusted R^2 of the weights on sector dummies (how much sector
     membership alone explains the weights).

   The strongest theme wins if its |score| reaches the significance floor ``max(STYLE_MIN,
   2.5 / sqrt(n_assets - 1))`` (SECTOR_MIN for sectors). A second style joins the name
   ("Small-cap value") when its |score| is at least ``COMBINE_MIN`` and ``COMBINE_RATIO`` of the
   winner's (never low volatility with beta: the same family).
   A sector winner is named from the net weights: "Tech vs Energy" when both sides have a
   dominant sector, "Energy vs market" / "Market vs Energy" when one side is spread out,
   "Energy sector" when the factor is mostly long that sector.
3. **Mixed.** Otherwise "Mixed: <top long sector or stock> long / <top short> short" with a
   confidence of at most ``MIXED_MAX_CONFIDENCE``.

Confidence = winner's |score| - 0.5 * runner-up's |score| (other theme family), times an
agreement factor in [0.5, 1] from the time-series evidence when it exists (0.75 + 0.25 * the
signed market-neutral correlation with the theme's references), clipped to [0, 1].
Same evidence, same name: nothing here depends on the order of stocks or on randomness.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from equity_factors.naming.evidence import FactorEvidence

MARKET_BREADTH = 0.9
MARKET_NET = 0.6
SECTOR_DOMINANT = 0.8
STYLE_MIN = 0.4
SECTOR_MIN = 0.5
COMBINE_MIN = 0.45
COMBINE_RATIO = 0.7
TWO_SIDED_RATIO = 0.5
SECTOR_LONG_ONLY_NET = 0.5
MIXED_MAX_CONFIDENCE = 0.3

#: Style themes in the order their words appear in a combined name.
STYLES: tuple[str, ...] = ("size", "low_volatility", "beta", "value", "momentum", "quality")
#: Characteristic(s) giving each style's cross-sectional evidence (first one present wins).
STYLE_CHARACTERISTICS: dict[str, tuple[str, ...]] = {
    "size": ("size",), "value": ("value", "earnings_yield"), "momentum": ("momentum",),
    "low_volatility": ("low_volatility",), "beta": ("beta",), "quality": (),
}
#: Reference series -> (theme, sign): the sign turns the series' direction into the theme's.
REFERENCE_THEMES: dict[str, tuple[str, int]] = {
    "ls_size": ("size", 1), "ls_value": ("value", 1), "ls_earnings_yield": ("value", 1),
    "ls_momentum": ("momentum", 1), "ls_low_volatility": ("low_volatility", 1),
    "ls_beta": ("beta", 1),
    "MTUM": ("momentum", 1), "VLUE": ("value", 1), "SIZE": ("size", -1),
    "USMV": ("low_volatility", 1), "QUAL": ("quality", 1),
}
_FAMILY = {"low_volatility": "risk", "beta": "risk"}

# (standalone name, word in a combined name, what the long side holds) for +/- direction.
_WORDS: dict[str, dict[int, tuple[str, str, str]]] = {
    "size": {1: ("Large caps vs small caps", "Large-cap", "large caps over small caps"),
             -1: ("Small caps vs large caps", "Small-cap", "small caps over large caps")},
    "value": {1: ("Value", "value", "cheap (high book-to-market) stocks over expensive ones"),
              -1: ("Growth", "growth", "expensive (low book-to-market) stocks over cheap ones")},
    "momentum": {1: ("Momentum", "momentum", "past 12-1 month winners over losers"),
                 -1: ("Reversal (anti-momentum)", "reversal",
                      "past 12-1 month losers over winners")},
    "low_volatility": {1: ("Low-volatility defensives", "Low-volatility",
                           "low-volatility stocks over volatile ones"),
                       -1: ("High-volatility risk-on", "High-volatility",
                            "volatile stocks over low-volatility ones")},
    "beta": {1: ("High beta", "High-beta", "high-beta stocks over low-beta ones"),
             -1: ("Low beta", "Low-beta", "low-beta stocks over high-beta ones")},
    "quality": {1: ("Quality", "quality", "what the quality ETF (QUAL) holds over the market"),
                -1: ("Low quality", "low-quality",
                     "the opposite of the quality ETF (QUAL) relative to the market")},
}
_ADJECTIVES = {"size", "low_volatility", "beta"}  # words that lead a combined name

#: Short sector names used in factor names.
SECTOR_SHORT: dict[str, str] = {
    "Information Technology": "Tech", "Communication Services": "Communication",
    "Consumer Discretionary": "Consumer Disc.", "Consumer Staples": "Staples",
    "Health Care": "Health Care", "Real Estate": "Real Estate", "Financials": "Financials",
    "Industrials": "Industrials", "Energy": "Energy", "Materials": "Materials",
    "Utilities": "Utilities",
}


@dataclass(frozen=True)
class FactorName:
    """A factor's name and why.

    Attributes
    ----------
    factor : str
    name : str
        Short name ("Small-cap value", "Tech vs Energy", "Mixed: ...").
    description : str
        One line saying what the factor holds and the evidence for it.
    confidence : float in [0, 1]
    namer : str
        Who named it: ``offline``, ``llm:<model>``, ``offline (llm failed: <reason>)``...
    theme : str
        Machine-readable verdict of the rules: ``market+``, ``style:size-,value+``,
        ``sector:+Energy|-Utilities``, ``sector:+Energy``, ``mixed``.
    scores : mapping
        Signed score per theme (``market``, ``sector``, each style) used by the rules.
    """

    factor: str
    name: str
    description: str
    confidence: float
    namer: str = "offline"
    theme: str = "mixed"
    scores: Mapping[str, float] = field(default_factory=dict)


def short_sector(sector: str) -> str:
    """Short display name of a sector ("Information Technology" -> "Tech")."""
    return SECTOR_SHORT.get(sector, sector)


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def theme_scores(ev: FactorEvidence) -> tuple[dict[str, float], dict[str, float]]:
    """Signed score per theme and the time-series agreement per style (see module docstring).

    Returns
    -------
    scores : dict theme -> float
        ``market`` (signed net weight times breadth), ``sector`` (>= 0) and every style with
        evidence.
    ts : dict style -> float
        Mean signed market-neutral correlation with the style's reference series.
    """
    ts_parts: dict[str, list[float]] = {}
    for ref, corr in sorted(ev.neutral_corr.items()):
        if ref in REFERENCE_THEMES and _finite(corr):
            theme, sign = REFERENCE_THEMES[ref]
            ts_parts.setdefault(theme, []).append(sign * corr)
    ts = {k: sum(v) / len(v) for k, v in ts_parts.items()}
    scores: dict[str, float] = {}
    side = max(ev.long_share, 1 - ev.long_share) if _finite(ev.long_share) else 0.0
    scores["market"] = ev.net * side
    if _finite(ev.sector_r2):
        scores["sector"] = math.sqrt(max(ev.sector_r2, 0.0))
    for style in STYLES:
        cs = next((ev.char_corr[c] for c in STYLE_CHARACTERISTICS[style]
                   if _finite(ev.char_corr.get(c))), None)
        if cs is not None:
            scores[style] = cs
        elif style in ts:
            scores[style] = ts[style]
    return scores, ts


def _style_floor(n_assets: int) -> float:
    return max(STYLE_MIN, 2.5 / math.sqrt(max(n_assets - 1, 1)))


def _fmt(x: float) -> str:
    return f"{x:+.2f}"


def _sector_name(ev: FactorEvidence) -> tuple[str, str, str]:
    """(name, theme, what it holds) of a factor the sector rule won."""
    tilt = ev.sector_tilt
    long_s = max(tilt, key=lambda s: (tilt[s], s))
    short_s = min(tilt, key=lambda s: (tilt[s], s))
    up, down = tilt[long_s], tilt[short_s]
    lname, sname = short_sector(long_s), short_sector(short_s)
    if up > 0 and down < 0 and min(up, -down) >= TWO_SIDED_RATIO * max(up, -down):
        return (f"{lname} vs {sname}", f"sector:+{long_s}|-{short_s}",
                f"long {long_s} ({ev.sector_net.get(long_s, 0):+.2f}), short {short_s} "
                f"({ev.sector_net.get(short_s, 0):+.2f})")
    if up >= -down:
        if ev.net >= SECTOR_LONG_ONLY_NET:
            return (f"{lname} sector", f"sector:+{long_s}",
                    f"mostly long {long_s} ({ev.sector_net.get(long_s, 0):+.2f} net)")
        return (f"{lname} vs market", f"sector:+{long_s}",
                f"long {long_s} ({ev.sector_net.get(long_s, 0):+.2f}) against the rest")
    if ev.net <= -SECTOR_LONG_ONLY_NET:
        return (f"Short {sname} sector", f"sector:-{short_s}",
                f"mostly short {short_s} ({ev.sector_net.get(short_s, 0):+.2f} net)")
    return (f"Market vs {sname}", f"sector:-{short_s}",
            f"short {short_s} ({ev.sector_net.get(short_s, 0):+.2f}) against the rest")


def _style_name(chosen: list[tuple[str, int]]) -> str:
    if len(chosen) == 1:
        style, sign = chosen[0]
        return _WORDS[style][sign][0]
    ordered = sorted(chosen, key=lambda c: STYLES.index(c[0]))
    words = [_WORDS[s][g][1] for s, g in ordered]
    # Adjectives lead; the last word is the noun. Only the first word is capitalized.
    text = " ".join(w if i == 0 else w[:1].lower() + w[1:] for i, w in enumerate(words))
    return text[:1].upper() + text[1:]


def _mixed(ev: FactorEvidence, scores: Mapping[str, float], best: float) -> FactorName:
    if ev.sector_tilt:
        tilt = ev.sector_tilt
        long_s = short_sector(max(tilt, key=lambda s: (tilt[s], s)))
        short_s = short_sector(min(tilt, key=lambda s: (tilt[s], s)))
    else:
        long_s = ev.top_holdings[0][0] if ev.top_holdings else "?"
        short_s = ev.bottom_holdings[0][0] if ev.bottom_holdings else "?"
    strongest = sorted(((abs(v), k) for k, v in scores.items() if k not in ("market",)),
                       reverse=True)[:2]
    hint = ", ".join(f"{k} {scores[k]:+.2f}" for _, k in strongest) or "no evidence"
    confidence = min(MIXED_MAX_CONFIDENCE, 0.5 * best)
    return FactorName(
        ev.factor, f"Mixed: {long_s} long / {short_s} short",
        f"No clear theme (strongest: {hint}); net weight {ev.net:+.2f}, "
        f"top {ev.top_holdings[0][0] if ev.top_holdings else '-'}, "
        f"bottom {ev.bottom_holdings[0][0] if ev.bottom_holdings else '-'}.",
        round(max(confidence, 0.0), 3), "offline", "mixed", dict(scores))


def name_factor(ev: FactorEvidence) -> FactorName:
    """Name one factor from its evidence with the rules of this module.

    Parameters
    ----------
    ev : FactorEvidence

    Returns
    -------
    FactorName
        ``namer="offline"``.
    """
    scores, ts = theme_scores(ev)
    sector = scores.get("sector", 0.0)
    breadth = max(ev.long_share, 1 - ev.long_share) if _finite(ev.long_share) else 0.0
    market_corr = ev.reference_corr.get("market", ev.reference_corr.get("SP500"))
    if breadth >= MARKET_BREADTH and abs(ev.net) >= MARKET_NET and sector < SECTOR_DOMINANT:
        sign = 1 if ev.net > 0 else -1
        base = min(1.0, (abs(ev.net) + breadth) / 2)
        agree = 1.0 if market_corr is None or not _finite(market_corr) \
            else max(0.0, sign * market_corr)
        corr_text = f", returns correlate {market_corr:+.2f} with the market" \
            if _finite(market_corr) else ""
        tilts = [s for s in STYLES if abs(scores.get(s, 0.0)) >= 0.5]
        tilt_text = ("; tilted " + ", ".join(
            f"to {_WORDS[s][1 if scores[s] > 0 else -1][1].lower()}" for s in tilts)
            if tilts else "")
        return FactorName(
            ev.factor, "Market beta" if sign > 0 else "Short market",
            f"{'Long' if sign > 0 else 'Short'} {breadth:.0%} of the stocks, net weight "
            f"{ev.net:+.2f}{corr_text}{tilt_text}.",
            round(min(1.0, max(0.0, base * (0.5 + 0.5 * agree))), 3), "offline",
            "market+" if sign > 0 else "market-", dict(scores))

    floor = _style_floor(ev.n_assets)
    candidates: list[tuple[float, str]] = []
    for style in STYLES:
        if style in scores and abs(scores[style]) >= floor:
            candidates.append((abs(scores[style]), style))
    if sector >= SECTOR_MIN and ev.sector_tilt:
        candidates.append((sector, "sector"))
    all_abs = {k: abs(v) for k, v in scores.items() if k != "market"}
    best_any = max(all_abs.values(), default=0.0)
    if not candidates:
        return _mixed(ev, scores, best_any)
    candidates.sort(key=lambda c: (-c[0], c[1]))
    best_score, winner = candidates[0]

    if winner == "sector":
        name, theme, holds = _sector_name(ev)
        runner = max((all_abs[s] for s in STYLES if s in all_abs), default=0.0)
        styles_text = "; strongest style " + ", ".join(
            f"{s} {scores[s]:+.2f}" for s in sorted(
                (s for s in STYLES if s in scores), key=lambda s: (-abs(scores[s]), s))[:1]
        ) if any(s in scores for s in STYLES) else ""
        confidence = best_score - 0.5 * runner
        description = (f"Sector spread: {holds}; sectors explain {ev.sector_r2:.0%} of the "
                       f"weights (adjusted R^2){styles_text}.")
        return FactorName(ev.factor, name, description,
                          round(min(1.0, max(0.0, confidence)), 3), "offline", theme,
                          dict(scores))

    chosen = [(winner, 1 if scores[winner] > 0 else -1)]
    families = {_FAMILY.get(winner, winner)}
    for score, style in candidates[1:]:
        if style == "sector" or _FAMILY.get(style, style) in families:
            continue
        if score >= COMBINE_MIN and score >= COMBINE_RATIO * best_score and len(chosen) < 3:
            chosen.append((style, 1 if scores[style] > 0 else -1))
            families.add(_FAMILY.get(style, style))
    used = {s for s, _ in chosen}
    runner = max((all_abs[k] for k in all_abs
                  if k not in used and _FAMILY.get(k, k) not in families), default=0.0)
    confidence = best_score - 0.5 * runner
    agreements = [g * ts[s] for s, g in chosen if s in ts and _finite(ts[s])]
    if agreements:
        confidence *= min(1.0, max(0.5, 0.75 + 0.25 * sum(agreements) / len(agreements)))
    parts = []
    for style, sign in chosen:
        how = "weights correlate" if any(
            _finite(ev.char_corr.get(c)) for c in STYLE_CHARACTERISTICS[style]) \
            else "returns correlate (market-neutral)"
        ts_text = (f", returns {ts[style]:+.2f} with its reference series"
                   if style in ts and how.startswith("weights") else "")
        parts.append(f"{_WORDS[style][sign][2]} ({how} {scores[style]:+.2f} with {style}"
                     f"{ts_text})")
    description = "Long " + "; and ".join(parts) + "."
    if sector >= SECTOR_MIN and ev.sector_tilt:
        tilt = ev.sector_tilt
        description = description[:-1] + (
            f"; sector tilt {short_sector(max(tilt, key=lambda s: (tilt[s], s)))} long / "
            f"{short_sector(min(tilt, key=lambda s: (tilt[s], s)))} short.")
    theme = "style:" + ",".join(f"{s}{'+' if g > 0 else '-'}"
                                for s, g in sorted(chosen, key=lambda c: STYLES.index(c[0])))
    return FactorName(ev.factor, _style_name(chosen), description,
                      round(min(1.0, max(0.0, confidence)), 3), "offline", theme, dict(scores))


def dedupe_names(names: Sequence[FactorName]) -> tuple[FactorName, ...]:
    """Make names unique by suffixing repeats with " (2)", " (3)"... in factor order."""
    seen: dict[str, int] = {}
    out = []
    for item in names:
        count = seen.get(item.name, 0) + 1
        seen[item.name] = count
        if count > 1:
            item = FactorName(item.factor, f"{item.name} ({count})", item.description,
                              item.confidence, item.namer, item.theme, item.scores)
        out.append(item)
    return tuple(out)


def name_offline(evidence: Sequence[FactorEvidence]) -> tuple[FactorName, ...]:
    """Name every factor with :func:`name_factor`; repeated names get a " (2)" suffix."""
    return dedupe_names([name_factor(ev) for ev in evidence])


__all__ = ["COMBINE_MIN", "COMBINE_RATIO", "MARKET_BREADTH", "MARKET_NET", "REFERENCE_THEMES",
           "SECTOR_DOMINANT", "SECTOR_MIN", "SECTOR_SHORT", "STYLES", "STYLE_MIN", "FactorName",
           "dedupe_names", "name_factor", "name_offline", "short_sector", "theme_scores"]
