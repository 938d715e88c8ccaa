export { FileAuditLog, verifyAuditLog, readAuditLog, recordHash, GENESIS_HASH, type AuditRecord, type AuditSync, type AuditVerification, type FileAuditLogOptions } from './audit-log';
export { canonicalJson } from './canonical-json';
