"""What the measuring side and the report both call things: the contenders and the figures."""

REFERENCE = "reference chain"
PONTOON_CNI, PONTOON_NV, NETAVARK = "pontoon CNI", "pontoon netavark", "netavark 1.4.0"
# An older pontoon build (--baseline), through CNI beside pontoon CNI in figure 1 only.
BASELINE = "pontoon (baseline)"
FIGURES = ("fig1-add-del", "fig2-scale", "fig3-concurrency", "fig4-startup", "fig5-floor")
