"""Client certificates of backends: issue, renew, revoke and download them."""
