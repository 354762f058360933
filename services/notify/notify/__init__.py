"""notify: tells officers what reached them and what is due, once, in Hindi or English."""
