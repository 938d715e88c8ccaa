export { FileAuditLog, verifyAuditLog, readAuditLog, recordHash, GENESIS_HASH, type AuditRecord, type AuditVerification } from './audit-log';
export { canonicalJson } from './canonical-json';
