"""metrics: MIS reports and the weekly eOffice scoreboard, computed from every service's events."""
