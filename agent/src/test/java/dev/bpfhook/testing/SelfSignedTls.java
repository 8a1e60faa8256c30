package dev.bpfhook.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** A keystore with a self-signed certificate, made by the JDK's keytool, and an HTTPS client that trusts it. */
public final class SelfSignedTls {
    public static final String PASSWORD = "changeit";
    private static final int TIMEOUT_MS = 30_000;

    private SelfSignedTls() {
    }

    /** A PKCS12 keystore at {@code keystore} holding one key pair for CN=localhost, with {@link #PASSWORD}. */
    public static Path keystore(Path keystore) throws IOException, InterruptedException {
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "test", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), output);
        return keystore;
    }

    /** The status of a GET over HTTPS, trusting any certificate; {@code credentials} "user:password" or null. */
    public static int status(String url, String credentials) throws IOException, GeneralSecurityException {
        HttpsURLConnection c = open(url, credentials);
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    /** The body of a GET over HTTPS that answers 200, as {@link #status}. */
    public static String body(String url, String credentials) throws IOException, GeneralSecurityException {
        HttpsURLConnection c = open(url, credentials);
        try {
            assertEquals(200, c.getResponseCode(), url);
            return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    private static HttpsURLConnection open(String url, String credentials) throws IOException, GeneralSecurityException {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {new TrustingEverything()}, null);
        HttpsURLConnection c = (HttpsURLConnection) new URL(url).openConnection();
        c.setSSLSocketFactory(tls.getSocketFactory());
        c.setHostnameVerifier((host, session) -> true);
        c.setConnectTimeout(TIMEOUT_MS);
        c.setReadTimeout(TIMEOUT_MS);
        if (credentials != null) {
            c.setRequestProperty("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return c;
    }

    /** The test's own certificate is self-signed: nothing to check it against. */
    private static final class TrustingEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
