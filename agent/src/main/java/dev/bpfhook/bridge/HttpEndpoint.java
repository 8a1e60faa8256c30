package dev.bpfhook.bridge;

import java.io.File;
import java.net.BindException;

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

    /**
     * Refuses a bind off loopback without credentials. {@code option} is the bridge's option (jolokia,
     * prometheus); {@code clientSide} says where its clients give them, or is empty.
     */
    void requireCredentialsOffLoopback(String option, String clientSide) throws BridgeException {
        if (!loopback && user == null) {
            throw new BridgeException(option + " on " + host + " (not loopback) needs credentials: set " + option
                    + ".user and " + option + ".password" + clientSide + ", or bind to 127.0.0.1");
        }
    }

    /** The line for a port that is taken: {@code option} is the bridge's option (jolokia, prometheus). */
    BridgeException cannotListen(String option, BindException e) {
        return new BridgeException(option + " cannot listen on " + host + ":" + port + " (" + e.getMessage()
                + "); choose another port with " + option + "=PORT, or " + option + "=off");
    }
}
