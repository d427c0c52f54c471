// Interop over TLS: our client (SocketIo::Client) against the real Node socket.io@4 server served
// over https/wss (tests/interop/js/reference-server.js --tls-key/--tls-cert) with a throwaway
// self-signed certificate for localhost/127.0.0.1 made by the openssl command line at test time.
// In three transport modes: the default configuration reports the certificate errors and fails
// the connection; trusting the certificate as a CA through ClientOptions::sslConfiguration
// connects (events and acks both ways); the application calling Client::ignoreSslErrors() from
// its sslErrors() slot connects too.
#include "clienttesthelpers.h"
#include "nodeprocess.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Client;
using SocketIo::ClientOptions;
using SocketIo::ClientSocket;
using SocketIo::Message;
using SocketIo::Test::NodeProcess;

using SocketIo::Test::addTransportRows;
using SocketIo::Test::keep;
using SocketIo::Test::rowOptions;


class tst_InteropTls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void selfSignedCertificateFailsByDefault_data() { addTransportRows(); }
    void selfSignedCertificateFailsByDefault();
    void trustedCertificateConnects_data() { addTransportRows(); }
    void trustedCertificateConnects();
    void ignoringErrorsFromTheSlotConnects_data() { addTransportRows(); }
    void ignoringErrorsFromTheSlotConnects();

private:
    /*! Events and acks both ways over an open connection; on the upgrade row, over wss. */
    void exchangeEvents(Client &client, ClientSocket *socket);

    std::unique_ptr<QTemporaryDir> m_dir;
    QList<QSslCertificate> m_certificate;
    std::unique_ptr<NodeProcess> m_node;
    QUrl m_url;
};

void tst_InteropTls::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    if (!QSslSocket::supportsSsl())
        QFAIL("Qt has no TLS backend (QSslSocket::supportsSsl() is false)");
    qRegisterMetaType<SocketIo::DisconnectReason>();
    qRegisterMetaType<SocketIo::Message>();
    qRegisterMetaType<QList<QSslError>>();

    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    const QString key = m_dir->filePath(u"key.pem"_s);
    const QString cert = m_dir->filePath(u"cert.pem"_s);
    QProcess openssl;
    openssl.setProcessChannelMode(QProcess::MergedChannels);
    openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-days"_s, u"1"_s,
                                 u"-subj"_s, u"/CN=localhost"_s,
                                 u"-addext"_s, u"subjectAltName=DNS:localhost,IP:127.0.0.1"_s,
                                 u"-keyout"_s, key, u"-out"_s, cert});
    if (!openssl.waitForStarted(10000))
        QFAIL(qPrintable(u"cannot run the openssl command line tool (%1); install the openssl package "
                         "(scripts/setup.sh does)"_s.arg(openssl.errorString())));
    QVERIFY2(openssl.waitForFinished(60000), "openssl did not finish");
    QVERIFY2(openssl.exitStatus() == QProcess::NormalExit && openssl.exitCode() == 0,
             openssl.readAll().constData());
    m_certificate = QSslCertificate::fromPath(cert);
    QCOMPARE(m_certificate.size(), 1);

    m_node = std::make_unique<NodeProcess>();
    QVERIFY(m_node->start(u"reference-server.js"_s, {u"--tls-key"_s, key, u"--tls-cert"_s, cert}));
    const QJsonObject listening = m_node->waitForEvent(u"listening"_s, 15000);
    QVERIFY2(!listening.isEmpty(), qPrintable(m_node->diagnostics()));
    QVERIFY(listening.value(u"url"_s).toString().startsWith(u"https://"_s));
    m_url = QUrl(u"https://127.0.0.1:%1"_s.arg(listening.value(u"port"_s).toInt()));
}

void tst_InteropTls::cleanupTestCase()
{
    m_node.reset();
}

void tst_InteropTls::exchangeEvents(Client &client, ClientSocket *socket)
{
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    if (polling && websocket)
        QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);
    else
        QCOMPARE(client.engine()->transportName(), polling ? u"polling"_s : u"websocket"_s);

    // (the server's "auth" event on connection may arrive before or after this point)
    QList<QCborArray> echoed;
    socket->on(u"message-back"_s, socket, [&](const Message &m) { echoed.append(m.args()); });
    socket->on(u"question"_s, socket, [](const Message &m) { m.ack({m.args().at(0).toInteger() + 1}); });
    const QCborArray payload{1, u"two"_s, QCborValue(QByteArray("\x01\x02", 2))};
    QVERIFY(socket->emitEvent(u"message"_s, payload));
    QTRY_COMPARE(echoed.size(), 1);
    QCOMPARE(echoed.first(), payload);

    AckReply *reply = socket->emitWithAck(u"message-with-ack"_s, {u"x"_s, 2}, 5s);
    const auto holder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), AckReply::Error::NoError);
    QCOMPARE(reply->args(), (QCborArray{u"x"_s, 2}));

    // server -> client with ack
    m_node->send(QJsonObject{{u"cmd"_s, u"emit"_s}, {u"room"_s, socket->id()}, {u"event"_s, u"question"_s},
                             {u"args"_s, QJsonArray{42}}, {u"ack"_s, true}, {u"id"_s, 7}});
    const QJsonObject ack = m_node->waitForLine([](const QJsonObject &line) {
        return line.value(u"event"_s).toString().startsWith(u"ack"_s) && line.value(u"id"_s).toInt() == 7;
    });
    QCOMPARE(ack.value(u"event"_s).toString(), u"ack"_s);
    // responses: one per client, its first ack argument
    QCOMPARE(ack.value(u"responses"_s).toArray(), (QJsonArray{43}));
}

void tst_InteropTls::selfSignedCertificateFailsByDefault()
{
    ClientOptions options = rowOptions();
    options.reconnection = false;
    Client client(m_url, options);
    ClientSocket *socket = client.socket();
    QSignalSpy sslErrors(&client, &Client::sslErrors);
    QSignalSpy connectError(socket, &ClientSocket::connectError);
    QSignalSpy errorOccurred(&client, &Client::errorOccurred);
    QSignalSpy connected(socket, &ClientSocket::connected);
    QTRY_VERIFY(!connectError.isEmpty());
    QVERIFY(!sslErrors.isEmpty());
    const auto errors = sslErrors.first().first().value<QList<QSslError>>();
    QVERIFY(!errors.isEmpty());
    bool selfSigned = false;
    for (const QSslError &e : errors)
        selfSigned = selfSigned || e.error() == QSslError::SelfSignedCertificate;
    QVERIFY2(selfSigned, qPrintable(errors.first().errorString()));
    QCOMPARE(errorOccurred.size(), 1);
    QCOMPARE(connected.size(), 0);
    QVERIFY(!socket->isConnected());
    QCOMPARE(client.state(), Client::State::Closed);
}

void tst_InteropTls::trustedCertificateConnects()
{
    ClientOptions options = rowOptions();
    options.sslConfiguration.addCaCertificates(m_certificate);
    Client client(m_url, options);
    ClientSocket *socket = client.socket();
    QSignalSpy sslErrors(&client, &Client::sslErrors);
    QSignalSpy connected(socket, &ClientSocket::connected);
    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 1, 10000);
    exchangeEvents(client, socket);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(sslErrors.size(), 0);
    QCOMPARE(connected.size(), 1);
}

void tst_InteropTls::ignoringErrorsFromTheSlotConnects()
{
    Client client(m_url, rowOptions());
    ClientSocket *socket = client.socket();
    int reported = 0;
    QObject::connect(&client, &Client::sslErrors, &client, [&](const QList<QSslError> &errors) {
        ++reported;
        if (errors.size() == 1 && errors.first().error() == QSslError::SelfSignedCertificate
            && errors.first().certificate() == m_certificate.first()) {
            client.ignoreSslErrors();
        }
    });
    QSignalSpy connectError(socket, &ClientSocket::connectError);
    QSignalSpy connected(socket, &ClientSocket::connected);
    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 1, 10000);
    QVERIFY(reported >= 1);
    exchangeEvents(client, socket);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(connectError.size(), 0);
    QCOMPARE(connected.size(), 1);
}

QTEST_MAIN(tst_InteropTls)
#include "tst_interop_tls.moc"
