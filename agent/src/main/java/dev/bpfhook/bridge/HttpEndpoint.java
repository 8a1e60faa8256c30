package dev.bpfhook.bridge;

import java.io.File;

/**
 * Where a bridge listens and whom it lets in: its address, basic-authentication credentials and TLS keystore.
 * Null user or keystore: no authentication, plain HTTP.
 */
public final class HttpEndpoint {
    final String host;
    final int port;
    final boolean loopback;
    final String user;
    final String password;
    final File keystore;
    final String keystorePassword;

    /** @param loopback whether {@code host} is a loopback address; any other needs credentials */
    public HttpEndpoint(String host, int port, boolean loopback, String user, String password, File keystore,
            String keystorePassword) {
        this.host = host;
        this.port = port;
        this.loopback = loopback;
        this.user = user;
        this.password = password;
        this.keystore = keystore;
        this.keystorePassword = keystorePassword;
    }
}
