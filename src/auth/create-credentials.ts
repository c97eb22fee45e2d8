// Builds the live credential source for a RestConfig: which secret goes on each request and connection.

import { credentialError } from '../errors.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import type { ClientCertificate, Credentials } from './credentials.js';
import { createMaterialReader, type FileReader } from './material.js';
import { createTokenFileSource } from './token-file.js';

function staticAuthorization(config: RestConfig): (() => string | undefined) | undefined {
  const auth = config.auth;
  switch (auth.kind) {
    case 'none':
      return () => undefined;
    case 'token': {
      const value = `Bearer ${auth.token}`;
      return () => value;
    }
    case 'basic': {
      const value = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      return () => value;
    }
    case 'oidc': {
      const value = `Bearer ${auth.idToken}`;
      return () => value;
    }
    case 'token-file':
    case 'exec':
      return undefined;
    default: {
      const unreachable: never = auth;
      throw new Error(`unhandled auth kind ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Credentials are loaded only for https:// servers (client-go's IsConfigTransportTLS rule): over
 * plain http nothing secret is ever sent.
 */
export function createCredentials(config: RestConfig): Credentials {
  const tls = config.serverUrl.protocol === 'https:';
  const ca: FileReader | undefined = tls && config.tls.ca ? createMaterialReader(config.tls.ca) : undefined;
  const cert = tls && config.tls.clientCertificate ? createMaterialReader(config.tls.clientCertificate.cert) : undefined;
  const key = tls && config.tls.clientCertificate ? createMaterialReader(config.tls.clientCertificate.key) : undefined;
  let lastCertificate: ClientCertificate | undefined;

  let authorization: () => string | undefined | Promise<string | undefined>;
  let invalidate = (): void => {};
  if (!tls) {
    authorization = () => undefined;
  } else if (config.auth.kind === 'token-file') {
    const source = createTokenFileSource(config.auth.path);
    authorization = () => source.authorization();
    invalidate = () => source.invalidate();
  } else if (config.auth.kind === 'exec') {
    const exec = config.auth.exec;
    authorization = () => {
      throw credentialError(
        `user "${config.names.user}" uses an exec credential plugin (${exec.command}), which this version of kubegate does not run yet; ` +
          'get a token from the plugin yourself and pass it with --token',
      );
    };
  } else {
    authorization = staticAuthorization(config) ?? (() => undefined);
  }

  return {
    authorization,
    clientCertificate() {
      if (!cert || !key) return undefined;
      const certData = cert.read();
      const keyData = key.read();
      // Same buffers → same object, so the connector can tell nothing changed.
      if (lastCertificate?.cert !== certData || lastCertificate.key !== keyData) lastCertificate = { cert: certData, key: keyData };
      return lastCertificate;
    },
    certificateAuthority: () => ca?.read(),
    invalidate() {
      invalidate();
      ca?.invalidate();
      cert?.invalidate();
      key?.invalidate();
    },
    close() {},
  };
}
