"""Stand-ins for what a commit imports but the build environment lacks, and the few places
Hamilton is made to accept them. Runs only inside the build child."""
