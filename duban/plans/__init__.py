"""Plans: frameworks, tasks, assignments (交办) and milestones (倒排工期)."""
