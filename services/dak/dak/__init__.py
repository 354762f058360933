"""dak: intake and diarisation of receipts, and the organisation directory."""
