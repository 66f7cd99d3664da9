"""Use cases (services) and the reconciler; defines the ports store/ and engine/ implement."""
