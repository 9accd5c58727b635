"""A team's shared config fragment: fetched, checked, and kept in a block of the config."""
