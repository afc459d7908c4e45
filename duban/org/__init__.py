"""Organisation: units (the tree of party and government bodies), users, role memberships."""
