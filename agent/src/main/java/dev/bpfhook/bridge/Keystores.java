package dev.bpfhook.bridge;

import java.io.File;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The TLS of an endpoint, from the operator's keystore: PKCS12 or JKS, told apart by the JDK. */
final class Keystores {
    private Keystores() {
    }

    /** @param password null for a keystore without one */
    static SSLContext tlsContext(File keystore, String password) throws IOException, GeneralSecurityException {
        char[] secret = password == null ? new char[0] : password.toCharArray();
        KeyStore keys = KeyStore.getInstance(keystore, secret);
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, secret);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(managers.getKeyManagers(), null, null);
        return tls;
    }
}
