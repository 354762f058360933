"""signing: DSC and eSign PAdES signatures on green notes and approved drafts."""
