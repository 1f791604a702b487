# Versions of the test cluster's components. Changing one changes the cache key.
# The Go wrapper modules under gomod/ must name the same versions.
K8S_VERSION=1.35.4
ETCD_VERSION=3.6.16
KWOK_VERSION=0.7.0
GO_MIN=1.25
