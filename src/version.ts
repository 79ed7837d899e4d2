// The release version reported by /v1/agent/self and `isthmus version`.
export const VERSION = '0.1.0';
