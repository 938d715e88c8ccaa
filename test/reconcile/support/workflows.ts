// The test bundle: every idsync workflow plus the link stand-in.
export * from '../../../workflows';
export * from './stand-in';
