/**
 * A throwaway self-signed certificate for `localhost` / 127.0.0.1 (P-256, valid 2000–2099) and its
 * key, for local HTTPS test servers only. Not a secret: it protects nothing and is trusted nowhere
 * except by the tests that pass it as `ca`. Regenerate with `openssl ca -selfsign` if ever needed.
 */
export const TLS_KEY = `
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSdl8x1AdrDCOLinz
XK4TkLvY7PazKHZquge9vfjwk1mhRANCAARWrN60nM/5V87nkkiV+gZmqAvGL5j0
R522RXYgt/fS1YBPs3LGxl+J71P8f6sc6BGwVfioRXVKSs/0SWk66zbe
-----END PRIVATE KEY-----
`;

export const TLS_CERT = `
-----BEGIN CERTIFICATE-----
MIIBhTCCASygAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjA5OTEyMzEyMzU5NTlaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFas3rScz/lXzueS
SJX6BmaoC8YvmPRHnbZFdiC399LVgE+zcsbGX4nvU/x/qxzoEbBV+KhFdUpKz/RJ
aTrrNt6jbTBrMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAMBgNVHRMBAf8E
AjAAMAsGA1UdDwQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQU
LneBYVpT9Xg7sLO5LI8o6XcXMSwwCgYIKoZIzj0EAwIDRwAwRAIgR1fioLYfBm1K
n3ar4AGdtTFBkThxP1TsKDF37EXJT4ACIHbbmkNvLZj2opaqnSWB5gJb7hXNOS6X
o/1MkrXzTdWs
-----END CERTIFICATE-----
`;
