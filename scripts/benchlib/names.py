"""What the measuring side and the report both call things: the contenders and the figures."""

REFERENCE = "reference chain"
PONTOON_CNI, PONTOON_NV, NETAVARK = "pontoon CNI", "pontoon netavark", "netavark 1.4.0"
# An older pontoon build (--baseline), through CNI beside pontoon CNI in figure 1 only.
BASELINE = "pontoon (baseline)"
FIGURES = ("fig1-add-del", "fig2-scale", "fig3-concurrency", "fig4-startup", "fig5-floor")
# Figure 6 (rootless): a throwaway user's containers, pontoonctl's paths beside podman 4.3.1's own.
ROOTLESS = "fig6-rootless"
RL_PONTOON_DEFAULT = "pontoonctl bridge -p (default: transparent proxy)"
RL_PONTOON_FORWARDS = "pontoonctl bridge -p --port-handler slirp4netns"
RL_PONTOON_ROOTLESSKIT = "pontoonctl bridge -p --port-handler rootlesskit"
RL_PONTOON_SLIRP = "pontoonctl --network slirp4netns:port_handler=slirp4netns"
RL_PODMAN_BRIDGE = "podman 4.3.1 bridge -p (rootlessport)"
RL_PODMAN_SLIRP = "podman 4.3.1 --network slirp4netns (port_handler=rootlesskit, its default)"
ROOTLESS_ROWS = (RL_PONTOON_DEFAULT, RL_PONTOON_FORWARDS, RL_PONTOON_ROOTLESSKIT, RL_PONTOON_SLIRP, RL_PODMAN_BRIDGE, RL_PODMAN_SLIRP)
