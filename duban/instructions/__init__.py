"""领导批示件: a leader's written instructions, from registration to 报结."""
