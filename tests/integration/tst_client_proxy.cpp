// Our Socket.IO client honours proxies as QNetworkProxy configures them (ClientOptions::proxy,
// inherited from EngineClientOptions): through a minimal HTTP proxy run by the test (absolute-URI
// requests for polling, CONNECT tunnels for WebSocket) in the three transport modes; NoProxy
// overrides an application proxy; an unreachable proxy is a connection error, not a crash.
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/engineclient.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QNetworkInterface>
#include <QNetworkProxy>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Client;
using SocketIo::ClientOptions;
using SocketIo::ClientSocket;
using SocketIo::Message;
using SocketIo::Server;
using SocketIo::Socket;

namespace {

/*!
  A minimal HTTP proxy for the test: "CONNECT host:port" is answered with 200 and then tunnelled
  byte for byte; absolute-form requests ("GET http://host:port/path?query HTTP/1.1") are
  forwarded to their origin with the request line rewritten to origin-form, one after the other
  on a keep-alive connection (bodies delimited by Content-Length), responses piped back as is.
  Records what it saw.
*/
class TestProxy : public QObject
{
public:
    QStringList connectTargets;   // "host:port" of each CONNECT
    QStringList requests;         // "METHOD absolute-uri" of each forwarded request

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }

    TestProxy()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection())
                accept(client);
        });
    }

private:
    struct Conn
    {
        QPointer<QTcpSocket> client;
        QPointer<QTcpSocket> upstream;
        QByteArray in;            // from the client, not yet handled
        QByteArray toUpstream;    // handled, waiting for the upstream connection
        enum class Mode { Head, Body, Tunnel } mode = Mode::Head;
        qint64 bodyLeft = 0;
    };

    void accept(QTcpSocket *client)
    {
        auto conn = std::make_shared<Conn>();
        conn->client = client;
        client->setParent(this);
        connect(client, &QTcpSocket::readyRead, this, [this, conn] {
            conn->in += conn->client->readAll();
            process(conn);
        });
        connect(client, &QTcpSocket::disconnected, this, [conn] {
            if (conn->upstream)
                conn->upstream->disconnectFromHost();
            conn->client->deleteLater();
        });
    }

    void openUpstream(const std::shared_ptr<Conn> &conn, const QString &host, quint16 port,
                      bool tunnel)
    {
        auto *upstream = new QTcpSocket(this);
        upstream->setProxy(QNetworkProxy::NoProxy);
        conn->upstream = upstream;
        connect(upstream, &QTcpSocket::connected, this, [this, conn, tunnel] {
            if (tunnel && conn->client)
                conn->client->write("HTTP/1.1 200 Connection established\r\n\r\n");
            flush(conn);
            if (tunnel)
                process(conn);
        });
        connect(upstream, &QTcpSocket::readyRead, this, [conn] {
            if (conn->client)
                conn->client->write(conn->upstream->readAll());
        });
        connect(upstream, &QTcpSocket::disconnected, this, [conn] {
            if (conn->client)
                conn->client->disconnectFromHost();
            conn->upstream->deleteLater();
        });
        connect(upstream, &QTcpSocket::errorOccurred, this, [conn, tunnel] {
            if (!conn->client)
                return;
            if (tunnel && conn->upstream->state() != QAbstractSocket::ConnectedState)
                conn->client->write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            conn->client->disconnectFromHost();
        });
        upstream->connectToHost(host, port);
    }

    void flush(const std::shared_ptr<Conn> &conn)
    {
        if (conn->upstream && conn->upstream->state() == QAbstractSocket::ConnectedState
            && !conn->toUpstream.isEmpty()) {
            conn->upstream->write(conn->toUpstream);
            conn->toUpstream.clear();
        }
    }

    void process(const std::shared_ptr<Conn> &conn)
    {
        for (;;) {
            if (conn->in.isEmpty())
                break;
            if (conn->mode == Conn::Mode::Tunnel) {
                // bytes after CONNECT wait until the tunnel is up
                if (!conn->upstream || conn->upstream->state() != QAbstractSocket::ConnectedState)
                    break;
                conn->toUpstream += conn->in;
                conn->in.clear();
                break;
            }
            if (conn->mode == Conn::Mode::Body) {
                const qint64 n = qMin<qint64>(conn->bodyLeft, conn->in.size());
                conn->toUpstream += conn->in.left(n);
                conn->in.remove(0, n);
                conn->bodyLeft -= n;
                if (conn->bodyLeft == 0)
                    conn->mode = Conn::Mode::Head;
                continue;
            }
            const qsizetype end = conn->in.indexOf("\r\n\r\n");
            if (end < 0)
                break;
            QByteArray head = conn->in.left(end + 4);
            conn->in.remove(0, end + 4);
            const qsizetype lineEnd = head.indexOf("\r\n");
            const QList<QByteArray> requestLine = head.left(lineEnd).split(' ');
            if (requestLine.size() != 3) {
                conn->client->disconnectFromHost();
                return;
            }
            const QByteArray method = requestLine.at(0);
            const QByteArray target = requestLine.at(1);
            if (method == "CONNECT") {
                connectTargets.append(QString::fromLatin1(target));
                const qsizetype colon = target.lastIndexOf(':');
                conn->mode = Conn::Mode::Tunnel;
                openUpstream(conn, QString::fromLatin1(target.left(colon)),
                             target.mid(colon + 1).toUShort(), true);
                continue;
            }
            requests.append(QString::fromLatin1(method + ' ' + target));
            const QUrl url(QString::fromLatin1(target));
            if (!conn->upstream)
                openUpstream(conn, url.host(), quint16(url.port(80)), false);
            // absolute-form -> origin-form: drop "scheme://authority"
            const qsizetype authority = target.indexOf("://");
            QByteArray origin = target;
            if (authority >= 0) {
                const qsizetype slash = target.indexOf('/', authority + 3);
                origin = slash >= 0 ? target.mid(slash) : QByteArray("/");
            }
            qint64 contentLength = 0;
            for (const QByteArray &line : head.mid(lineEnd + 2).split('\n')) {
                const qsizetype colon = line.indexOf(':');
                if (colon > 0 && line.left(colon).trimmed().toLower() == "content-length")
                    contentLength = line.mid(colon + 1).trimmed().toLongLong();
            }
            conn->toUpstream += method + ' ' + origin + ' ' + requestLine.at(2)
                                + head.mid(lineEnd);
            conn->bodyLeft = contentLength;
            conn->mode = contentLength > 0 ? Conn::Mode::Body : Conn::Mode::Head;
        }
        flush(conn);
    }

    QTcpServer m_server;
};

/*! A port nobody listens on (bound, then released). */
quint16 closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

/*! A non-loopback IPv4 address of this machine (Qt never proxies loopback destinations through
    the application proxy, so a NoProxy test needs another address), or null. */
QUrl urlFor(const QHostAddress &address, quint16 port)
{
    return QUrl(u"http://%1:%2"_s.arg(address.toString()).arg(port));
}

/*! Server answering "sum" with an ack. */
std::unique_ptr<Server> startServer(const QHostAddress &address = QHostAddress::LocalHost)
{
    auto server = std::make_unique<Server>(sioTestOptions());
    if (!server->listen(address, 0))
        return nullptr;
    QObject::connect(server.get(), &Server::connection, server.get(), [](Socket *s) {
        s->on(u"sum"_s, s, [](const Message &m) {
            m.ack({m.args().at(0).toInteger() + m.args().at(1).toInteger()});
        });
    });
    return server;
}

/*! Connects, then an event round-trips with an ack. */
void connectAndRoundTrip(Client &client)
{
    ClientSocket *socket = client.socket();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    AckReply *reply = socket->emitWithAck(u"sum"_s, {2, 3}, 5s);
    reply->setAutoDelete(false);
    const std::unique_ptr<AckReply> holder(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QCOMPARE(reply->error(), AckReply::Error::NoError);
    QCOMPARE(reply->args().at(0).toInteger(), 5);
}

} // namespace

class tst_ClientProxy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void throughHttpProxy_data();
    void throughHttpProxy();
    void unreachableProxyIsAnError_data();
    void unreachableProxyIsAnError();
};

void tst_ClientProxy::initTestCase()
{
    sioRegisterMetaTypes();
    qRegisterMetaType<SocketIo::Client::State>();
}

void tst_ClientProxy::throughHttpProxy_data()
{
    QTest::addColumn<bool>("polling");
    QTest::addColumn<bool>("websocket");
    QTest::newRow("polling only") << true << false;
    QTest::newRow("websocket only") << false << true;
    QTest::newRow("polling upgraded to websocket") << true << true;
}

void tst_ClientProxy::throughHttpProxy()
{
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    auto io = startServer();
    QVERIFY(io);
    TestProxy proxy;
    QVERIFY(proxy.listen());

    ClientOptions options;
    options.polling = polling;
    options.websocket = websocket;
    options.reconnection = false;
    options.proxy = QNetworkProxy(QNetworkProxy::HttpProxy, u"127.0.0.1"_s, proxy.port());
    Client client(urlFor(QHostAddress::LocalHost, io->serverPort()), options);
    QSignalSpy errors(&client, &Client::errorOccurred);
    connectAndRoundTrip(client);
    if (QTest::currentTestFailed())
        return;
    if (polling && websocket)
        QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);
    else
        QCOMPARE(client.engine()->transportName(), polling ? u"polling"_s : u"websocket"_s);
    QCOMPARE(errors.size(), 0);

    const QString origin = u"http://127.0.0.1:%1/socket.io/"_s.arg(io->serverPort());
    if (polling) {
        QVERIFY2(!proxy.requests.isEmpty(), "polling bypassed the proxy");
        for (const QString &request : std::as_const(proxy.requests))
            QVERIFY2(request.contains(origin) && request.contains(u"transport=polling"_s),
                     qPrintable(request));
    } else {
        QCOMPARE(proxy.requests, QStringList());
    }
    if (websocket) {
        QCOMPARE(proxy.connectTargets,
                 QStringList(u"127.0.0.1:%1"_s.arg(io->serverPort())));
    } else {
        QCOMPARE(proxy.connectTargets, QStringList());
    }
}

void tst_ClientProxy::unreachableProxyIsAnError_data()
{
    QTest::addColumn<bool>("polling");
    QTest::addColumn<bool>("websocket");
    QTest::newRow("polling only") << true << false;
    QTest::newRow("websocket only") << false << true;
    QTest::newRow("polling upgraded to websocket") << true << true;
}

void tst_ClientProxy::unreachableProxyIsAnError()
{
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    auto io = startServer();
    QVERIFY(io);
    const quint16 dead = closedPort();
    QVERIFY(dead);
    int serverConnections = 0;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *) { ++serverConnections; });

    ClientOptions options;
    options.polling = polling;
    options.websocket = websocket;
    options.reconnection = false;
    options.proxy = QNetworkProxy(QNetworkProxy::HttpProxy, u"127.0.0.1"_s, dead);
    Client client(urlFor(QHostAddress::LocalHost, io->serverPort()), options);
    ClientSocket *socket = client.socket();
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy connectErrors(socket, &ClientSocket::connectError);
    QTRY_VERIFY_WITH_TIMEOUT(errors.size() >= 1, 10000);
    QTRY_VERIFY(connectErrors.size() >= 1);
    QTRY_COMPARE(client.state(), Client::State::Closed);
    QVERIFY(!socket->isConnected());
    QCOMPARE(serverConnections, 0);   // it did not go around the proxy
}

QTEST_MAIN(tst_ClientProxy)
#include "tst_client_proxy.moc"
