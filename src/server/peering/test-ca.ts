// A real self-signed P-256 CA certificate (PEM with a trailing newline) for peering token tests.
export const TEST_CA_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBizCCATGgAwIBAgIUP8mJfXnUJerZkTdxdLsHaVSjDrIwCgYIKoZIzj0EAwIw',
  'GjEYMBYGA1UEAwwPaXN0aG11cy10ZXN0LWNhMCAXDTI2MTIwMTIyNTkwOVoYDzIx',
  'MjYxMTA3MjI1OTA5WjAaMRgwFgYDVQQDDA9pc3RobXVzLXRlc3QtY2EwWTATBgcq',
  'hkjOPQIBBggqhkjOPQMBBwNCAAQX4144VEfQry+HYYwuBhnUKp7jyvOzcuXUXYiK',
  'akulQNFnoqIppJ9SHRej5TD2pJtFwLIf33JPkcl1ZymkpHTWo1MwUTAdBgNVHQ4E',
  'FgQUSzBWrazAvvB+0iznY71mNkjYcnkwHwYDVR0jBBgwFoAUSzBWrazAvvB+0izn',
  'Y71mNkjYcnkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAx4UT',
  'a8K7JgRnu3HAXQzbRdTr1+cLavNHr+sEFerZ4HECIGCcb5yYNzAjzFIxOdq5Nwfp',
  'SrOQOMW3pmkTpCFmSieE',
  '-----END CERTIFICATE-----',
].join('\n') + '\n';
