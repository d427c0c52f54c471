// EngineClient against our EngineServer over loopback (polling only, WebSocket only, polling with
// upgrade), and against tiny fake servers in this file for the failure paths.
#include <SocketIo/engineclient.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>

#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>
#include <functional>
#include <memory>

using namespace SocketIo;
using namespace std::chrono_literals;

namespace {

enum class Mode { PollingOnly, WebSocketOnly, Upgrade };

EngineClientOptions optionsFor(Mode mode)
{
    EngineClientOptions o;
    o.polling = mode != Mode::WebSocketOnly;
    o.websocket = mode != Mode::PollingOnly;
    o.upgrade = mode == Mode::Upgrade;
    return o;
}

QString finalTransport(Mode mode)
{
    return mode == Mode::PollingOnly ? QStringLiteral("polling") : QStringLiteral("websocket");
}

/*!
  A minimal HTTP/1.1 server for failure paths: each request (request line plus body) goes to
  handler, which returns the 200 response body, or a null QByteArray to never answer.
*/
class FakeHttpServer : public QObject
{
public:
    using Handler = std::function<QByteArray(const QByteArray &requestLine, const QByteArray &body)>;

    explicit FakeHttpServer(Handler handler)
        : m_handler(std::move(handler))
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(this);
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] { onData(s); });
            }
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }
    quint16 port() const { return m_server.serverPort(); }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port())); }
    QList<QByteArray> requestLines;

private:
    void onData(QTcpSocket *s)
    {
        QByteArray &buffer = m_buffers[s];
        buffer += s->readAll();
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = buffer.left(end);
            qsizetype length = 0;
            for (const QByteArray &line : head.split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (buffer.size() < end + 4 + length)
                return;
            const QByteArray requestLine = head.left(head.indexOf('\r'));
            const QByteArray body = buffer.mid(end + 4, length);
            buffer.remove(0, end + 4 + length);
            requestLines.append(requestLine);
            const QByteArray answer = m_handler(requestLine, body);
            if (answer.isNull())
                continue;
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: "
                     + QByteArray::number(answer.size()) + "\r\n\r\n" + answer);
        }
    }

    QTcpServer m_server;
    Handler m_handler;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

QByteArray fakeHandshake(int pingInterval = 25000, int pingTimeout = 20000)
{
    return "0{\"sid\":\"fakesid\",\"upgrades\":[],\"pingInterval\":" + QByteArray::number(pingInterval)
        + ",\"pingTimeout\":" + QByteArray::number(pingTimeout) + ",\"maxPayload\":1000000}";
}

/*! Records what a client emits. */
struct ClientProbe
{
    explicit ClientProbe(EngineClient *c)
        : opened(c, &EngineClient::opened)
        , closed(c, &EngineClient::closed)
        , errors(c, &EngineClient::errorOccurred)
        , pings(c, &EngineClient::pingReceived)
        , upgrading(c, &EngineClient::upgrading)
        , upgraded(c, &EngineClient::upgraded)
    {
        QObject::connect(c, &EngineClient::textMessageReceived, c,
                         [this](const QByteArray &m) { texts.append(m); });
        QObject::connect(c, &EngineClient::binaryMessageReceived, c,
                         [this](const QByteArray &m) { binaries.append(m); });
    }
    QString closeReason() const
    {
        return closed.isEmpty() ? QString() : closed.first().at(0).toString();
    }
    QSignalSpy opened;
    QSignalSpy closed;
    QSignalSpy errors;
    QSignalSpy pings;
    QSignalSpy upgrading;
    QSignalSpy upgraded;
    QList<QByteArray> texts;
    QList<QByteArray> binaries;
};

/*! Records what a server session receives. */
struct SessionProbe
{
    QPointer<EngineSession> session;
    QList<QByteArray> texts;
    QList<QByteArray> binaries;
    QString closeReason;

    void attach(EngineSession *s)
    {
        session = s;
        QObject::connect(s, &EngineSession::textMessageReceived, s,
                         [this](const QByteArray &m) { texts.append(m); });
        QObject::connect(s, &EngineSession::binaryMessageReceived, s,
                         [this](const QByteArray &m) { binaries.append(m); });
        QObject::connect(s, &EngineSession::closed, s,
                         [this](const QString &reason) { closeReason = reason; });
    }
};

} // namespace

Q_DECLARE_METATYPE(Mode)

class tst_EngineClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void opensAndExchangesMessages_data();
    void opensAndExchangesMessages();
    void messagesQueuedWhileOpeningAreSent_data();
    void messagesQueuedWhileOpeningAreSent();
    void largeMessagesAreSplitAcrossPosts();
    void heartbeatKeepsSessionAlive_data();
    void heartbeatKeepsSessionAlive();
    void serverCloseIsTransportClose_data();
    void serverCloseIsTransportClose();
    void clientCloseIsTransportCloseOnServer_data();
    void clientCloseIsTransportCloseOnServer();
    void reopenAfterCloseStartsNewSession();
    void extraHeadersAndQueryReachServer_data();
    void extraHeadersAndQueryReachServer();
    void pingTimeoutWhenServerStopsAnswering();
    void malformedPayloadIsServerError_data();
    void malformedPayloadIsServerError();
    void connectTimeoutWhenServerNeverAnswers_data();
    void connectTimeoutWhenServerNeverAnswers();
    void refusedConnectionIsTransportError_data();
    void refusedConnectionIsTransportError();
    void closeWhileOpeningIsForcedClose();
    void malformedWebSocketFrameIsServerError_data();
    void malformedWebSocketFrameIsServerError();
    void failedProbeStaysOnPolling();
    void connectTimeoutZeroFailsAtOnce_data();
    void connectTimeoutZeroFailsAtOnce();

private:
    EngineServer *startServer(const EngineOptions &options = {});
    EngineClient *makeClient(Mode mode, const QUrl &url = {});
    bool openClient(EngineClient *client, ClientProbe &probe, Mode mode);

    std::unique_ptr<EngineServer> m_server;
    std::unique_ptr<EngineClient> m_client;
    SessionProbe m_session;
};

void tst_EngineClient::init()
{
    m_session = SessionProbe();
}

void tst_EngineClient::cleanup()
{
    m_client.reset();
    m_server.reset();
}

EngineServer *tst_EngineClient::startServer(const EngineOptions &options)
{
    m_server = std::make_unique<EngineServer>();
    m_server->setOptions(options);
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        qFatal("listen failed");
    QObject::connect(m_server.get(), &EngineServer::connection, m_server.get(),
                     [this](EngineSession *s) { m_session.attach(s); });
    return m_server.get();
}

EngineClient *tst_EngineClient::makeClient(Mode mode, const QUrl &url)
{
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(url.isEmpty()
                         ? QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server->serverPort()))
                         : url);
    m_client->setOptions(optionsFor(mode));
    return m_client.get();
}

bool tst_EngineClient::openClient(EngineClient *client, ClientProbe &probe, Mode mode)
{
    client->open();
    if (!QTest::qWaitFor([&] { return probe.opened.size() == 1; }, 5000))
        return false;
    if (mode == Mode::Upgrade
        && !QTest::qWaitFor([&] { return probe.upgraded.size() == 1; }, 5000))
        return false;
    return QTest::qWaitFor([&] { return !m_session.session.isNull(); }, 5000);
}

static void addModeRows()
{
    QTest::addColumn<Mode>("mode");
    QTest::newRow("polling only") << Mode::PollingOnly;
    QTest::newRow("websocket only") << Mode::WebSocketOnly;
    QTest::newRow("polling then upgrade") << Mode::Upgrade;
}

void tst_EngineClient::opensAndExchangesMessages_data()
{
    addModeRows();
}

void tst_EngineClient::opensAndExchangesMessages()
{
    QFETCH(Mode, mode);
    startServer();
    EngineClient *client = makeClient(mode);
    ClientProbe probe(client);
    QSignalSpy states(client, &EngineClient::stateChanged);
    QVERIFY(openClient(client, probe, mode));

    QCOMPARE(client->state(), EngineClient::State::Open);
    QCOMPARE(client->sessionId(), m_session.session->id());
    QCOMPARE(client->transportName(), finalTransport(mode));
    QCOMPARE(client->pingInterval(), 25000);
    QCOMPARE(client->pingTimeout(), 20000);
    QCOMPARE(client->maxPayload(), qint64(1000000));
    QCOMPARE(probe.upgrading.size(), mode == Mode::Upgrade ? 1 : 0);
    if (mode == Mode::Upgrade) {
        QCOMPARE(probe.upgrading.first().first().toString(), u"websocket"_qs);
        QCOMPARE(probe.upgraded.first().first().toString(), u"websocket"_qs);
        QTRY_VERIFY(m_session.session->isUpgraded());
    }
    QCOMPARE(states.size(), 2);
    QCOMPARE(states.at(0).first().value<EngineClient::State>(), EngineClient::State::Opening);
    QCOMPARE(states.at(1).first().value<EngineClient::State>(), EngineClient::State::Open);

    const QByteArray unicode = QStringLiteral("h\u00e9llo \u2603").toUtf8();
    const QByteArray bytes("\x00\x01\xfe\xff", 4);
    client->sendText(unicode);
    client->sendBinary(bytes);
    client->sendMessages("header", {QByteArray("a"), QByteArray("bc")});
    QTRY_COMPARE(m_session.texts, (QList<QByteArray>{unicode, "header"}));
    QTRY_COMPARE(m_session.binaries, (QList<QByteArray>{bytes, "a", "bc"}));

    m_session.session->sendText(unicode);
    m_session.session->sendBinary(bytes);
    m_session.session->sendText(QByteArray());
    QTRY_COMPARE(probe.binaries, QList<QByteArray>{bytes});
    QTRY_COMPARE(probe.texts, (QList<QByteArray>{unicode, QByteArray("")}));
    QTRY_VERIFY(client->isWritable());
    QCOMPARE(probe.closed.size(), 0);
    QCOMPARE(probe.errors.size(), 0);
}

void tst_EngineClient::messagesQueuedWhileOpeningAreSent_data()
{
    addModeRows();
}

void tst_EngineClient::messagesQueuedWhileOpeningAreSent()
{
    QFETCH(Mode, mode);
    startServer();
    EngineClient *client = makeClient(mode);
    ClientProbe probe(client);
    QSignalSpy drained(client, &EngineClient::drained);
    client->open();
    QCOMPARE(client->state(), EngineClient::State::Opening);
    QVERIFY(!client->isWritable());
    for (int i = 0; i < 5; ++i)
        client->sendText(QByteArray::number(i));
    QTRY_VERIFY(!m_session.session.isNull());
    QTRY_COMPARE(m_session.texts, (QList<QByteArray>{"0", "1", "2", "3", "4"}));
    QTRY_VERIFY(drained.size() >= 1);
}

void tst_EngineClient::largeMessagesAreSplitAcrossPosts()
{
    EngineOptions o;
    o.maxHttpBufferSize = 1000;
    startServer(o);
    EngineClient *client = makeClient(Mode::PollingOnly);
    ClientProbe probe(client);
    QVERIFY(openClient(client, probe, Mode::PollingOnly));
    QCOMPARE(client->maxPayload(), qint64(1000));

    QList<QByteArray> expected;
    for (int i = 0; i < 10; ++i) {
        QByteArray m(300, char('a' + i));
        expected.append(m);
        client->sendText(m);
    }
    QVERIFY(!client->isWritable());   // a POST is in flight
    QTRY_COMPARE(m_session.texts, expected);
    QCOMPARE(probe.closed.size(), 0);
    QVERIFY(m_session.closeReason.isEmpty());
    QTRY_VERIFY(client->isWritable());
}

void tst_EngineClient::heartbeatKeepsSessionAlive_data()
{
    addModeRows();
}

void tst_EngineClient::heartbeatKeepsSessionAlive()
{
    QFETCH(Mode, mode);
    EngineOptions o;
    o.pingInterval = 100ms;
    o.pingTimeout = 150ms;
    startServer(o);
    EngineClient *client = makeClient(mode);
    ClientProbe probe(client);
    QVERIFY(openClient(client, probe, mode));
    // Many pings means many pongs in time: the server would close after pingTimeout otherwise.
    QTRY_VERIFY_WITH_TIMEOUT(probe.pings.size() >= 6, 5000);
    QCOMPARE(probe.closed.size(), 0);
    QVERIFY(m_session.closeReason.isEmpty());
    QCOMPARE(client->state(), EngineClient::State::Open);
}

void tst_EngineClient::serverCloseIsTransportClose_data()
{
    addModeRows();
}

void tst_EngineClient::serverCloseIsTransportClose()
{
    QFETCH(Mode, mode);
    startServer();
    EngineClient *client = makeClient(mode);
    ClientProbe probe(client);
    QVERIFY(openClient(client, probe, mode));
    m_session.session->sendText("last words");
    m_session.session->close();
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"transport close"_qs);
    QCOMPARE(probe.texts, QList<QByteArray>{"last words"});
    QCOMPARE(probe.errors.size(), 0);
    QCOMPARE(client->state(), EngineClient::State::Closed);
    QVERIFY(client->sessionId().isEmpty());
}

void tst_EngineClient::clientCloseIsTransportCloseOnServer_data()
{
    addModeRows();
}

void tst_EngineClient::clientCloseIsTransportCloseOnServer()
{
    QFETCH(Mode, mode);
    startServer();
    EngineClient *client = makeClient(mode);
    ClientProbe probe(client);
    QVERIFY(openClient(client, probe, mode));
    client->sendText("flushed before closing");
    client->close();
    QCOMPARE(client->state(), EngineClient::State::Closing);
    client->sendText("dropped: the client is closing");
    client->close();   // idempotent
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"forced close"_qs);
    QTRY_COMPARE(m_session.closeReason, u"transport close"_qs);
    QCOMPARE(m_session.texts, QList<QByteArray>{"flushed before closing"});
    QCOMPARE(probe.errors.size(), 0);
    QCOMPARE(client->state(), EngineClient::State::Closed);
    QTest::qWait(0);
    QCOMPARE(probe.closed.size(), 1);
}

void tst_EngineClient::reopenAfterCloseStartsNewSession()
{
    startServer();
    EngineClient *client = makeClient(Mode::Upgrade);
    ClientProbe probe(client);
    QVERIFY(openClient(client, probe, Mode::Upgrade));
    const QString first = client->sessionId();
    client->close();
    QTRY_COMPARE(probe.closed.size(), 1);
    m_session = SessionProbe();
    QVERIFY(openClient(client, probe, Mode::PollingOnly));
    QTRY_COMPARE(probe.opened.size(), 2);
    QVERIFY(client->sessionId() != first);
    QTRY_COMPARE(client->transportName(), u"websocket"_qs);
    client->sendText("again");
    QTRY_COMPARE(m_session.texts, QList<QByteArray>{"again"});
}

void tst_EngineClient::extraHeadersAndQueryReachServer_data()
{
    addModeRows();
}

void tst_EngineClient::extraHeadersAndQueryReachServer()
{
    QFETCH(Mode, mode);
    startServer();
    EngineClient *client = makeClient(mode);
    EngineClientOptions o = optionsFor(mode);
    o.path = QStringLiteral("/engine.io");   // normalised to "/engine.io/"
    o.query.addQueryItem(QStringLiteral("token"), QStringLiteral("abc def"));
    o.extraHeaders.append({QByteArray("X-Test"), QByteArray("yes")});
    client->setOptions(o);
    QCOMPARE(client->options().path, u"/engine.io/"_qs);
    ClientProbe probe(client);
    QVERIFY(openClient(client, probe, mode));
    const EngineRequest &request = m_session.session->request();
    QCOMPARE(request.header("x-test"), QByteArray("yes"));
    QCOMPARE(request.query.queryItemValue(QStringLiteral("token")), u"abc def"_qs);
    QCOMPARE(request.query.queryItemValue(QStringLiteral("EIO")), u"4"_qs);
    QCOMPARE(request.query.queryItemValue(QStringLiteral("transport")),
             mode == Mode::WebSocketOnly ? u"websocket"_qs : u"polling"_qs);
    // The cache buster is on polling requests only, as in engine.io-client.
    QCOMPARE(request.query.hasQueryItem(QStringLiteral("t")), mode != Mode::WebSocketOnly);
}

void tst_EngineClient::pingTimeoutWhenServerStopsAnswering()
{
    FakeHttpServer fake([](const QByteArray &line, const QByteArray &) {
        return line.contains("sid=") ? QByteArray() : fakeHandshake(100, 100);
    });
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(fake.url());
    m_client->setOptions(optionsFor(Mode::PollingOnly));
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_COMPARE(probe.opened.size(), 1);
    QCOMPARE(m_client->sessionId(), u"fakesid"_qs);
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"ping timeout"_qs);
    QCOMPARE(probe.errors.size(), 0);
    // The GET after the handshake carried the sid.
    QVERIFY(fake.requestLines.size() >= 2);
    QVERIFY(fake.requestLines.at(1).contains("sid=fakesid"));
}

void tst_EngineClient::malformedPayloadIsServerError_data()
{
    // engine.io-client: an undecodable packet becomes an "error" packet, reported as
    // Error("server error") and closed with "transport error"; an open packet whose JSON is
    // unusable stays "parse error"
    QTest::addColumn<QByteArray>("handshake");
    QTest::addColumn<QByteArray>("poll");
    QTest::addColumn<bool>("opens");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("error");
    const QString te = u"transport error"_qs;
    const QString se = u"server error"_qs;
    const QString pe = u"parse error"_qs;
    QTest::newRow("unknown packet type") << fakeHandshake() << QByteArray("X") << true << te << se;
    QTest::newRow("invalid base64") << fakeHandshake() << QByteArray("b@@@") << true << te << se;
    QTest::newRow("bad record after a good one")
        << fakeHandshake() << QByteArray("4fine\x1e\x1e") << true << te << se;
    QTest::newRow("empty body") << fakeHandshake() << QByteArray("") << true << te << se;
    QTest::newRow("open packet is not json") << QByteArray("0{nope") << QByteArray() << false << pe << pe;
    QTest::newRow("open packet without sid")
        << QByteArray("0{\"pingInterval\":1,\"pingTimeout\":1}") << QByteArray() << false << pe << pe;
    QTest::newRow("garbage instead of a handshake") << QByteArray("hello") << QByteArray() << false << te << se;
}

void tst_EngineClient::malformedPayloadIsServerError()
{
    QFETCH(QByteArray, handshake);
    QFETCH(QByteArray, poll);
    QFETCH(bool, opens);
    QFETCH(QString, reason);
    QFETCH(QString, error);
    FakeHttpServer fake([&](const QByteArray &line, const QByteArray &) {
        return line.contains("sid=") ? poll : handshake;
    });
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(fake.url());
    m_client->setOptions(optionsFor(Mode::PollingOnly));
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), reason);
    QCOMPARE(probe.opened.size(), opens ? 1 : 0);
    QCOMPARE(probe.errors.size(), 1);
    QCOMPARE(probe.errors.first().first().toString(), error);
    if (QTest::currentDataTag() == QByteArrayLiteral("bad record after a good one"))
        QCOMPARE(probe.texts, QList<QByteArray>{"fine"});
    QCOMPARE(m_client->state(), EngineClient::State::Closed);
}

void tst_EngineClient::connectTimeoutWhenServerNeverAnswers_data()
{
    QTest::addColumn<Mode>("mode");
    QTest::newRow("polling") << Mode::PollingOnly;
    QTest::newRow("websocket") << Mode::WebSocketOnly;
}

void tst_EngineClient::connectTimeoutWhenServerNeverAnswers()
{
    QFETCH(Mode, mode);
    FakeHttpServer fake([](const QByteArray &, const QByteArray &) { return QByteArray(); });
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(fake.url());
    EngineClientOptions o = optionsFor(mode);
    o.connectTimeout = 300ms;
    m_client->setOptions(o);
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"timeout"_qs);
    QCOMPARE(probe.errors.size(), 1);
    QCOMPARE(probe.errors.first().first().toString(), u"timeout"_qs);
    QCOMPARE(probe.opened.size(), 0);
    QVERIFY(!fake.requestLines.isEmpty());
}

void tst_EngineClient::refusedConnectionIsTransportError_data()
{
    QTest::addColumn<Mode>("mode");
    QTest::addColumn<QString>("error");
    QTest::newRow("polling") << Mode::PollingOnly << u"xhr poll error"_qs;
    QTest::newRow("websocket") << Mode::WebSocketOnly << u"websocket error"_qs;
}

void tst_EngineClient::refusedConnectionIsTransportError()
{
    QFETCH(Mode, mode);
    QFETCH(QString, error);
    quint16 port = 0;
    {
        QTcpServer probeServer;   // find a free port, then free it
        QVERIFY(probeServer.listen(QHostAddress::LocalHost, 0));
        port = probeServer.serverPort();
    }
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    m_client->setOptions(optionsFor(mode));
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"transport error"_qs);
    QCOMPARE(probe.errors.size(), 1);
    QCOMPARE(probe.errors.first().first().toString(), error);
    QCOMPARE(probe.opened.size(), 0);
}

void tst_EngineClient::closeWhileOpeningIsForcedClose()
{
    FakeHttpServer fake([](const QByteArray &, const QByteArray &) { return QByteArray(); });
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(fake.url());
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_VERIFY(!fake.requestLines.isEmpty());
    m_client->close();
    QCOMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"forced close"_qs);
    QCOMPARE(probe.errors.size(), 0);
    QCOMPARE(m_client->state(), EngineClient::State::Closed);
}

void tst_EngineClient::malformedWebSocketFrameIsServerError_data()
{
    QTest::addColumn<QString>("frame");
    QTest::addColumn<bool>("opens");
    QTest::newRow("unknown packet type after the handshake") << u"X"_qs << true;
    QTest::newRow("invalid base64 after the handshake") << u"b@@@"_qs << true;
    QTest::newRow("garbage instead of the open packet") << u"hello"_qs << false;
}

void tst_EngineClient::malformedWebSocketFrameIsServerError()
{
    QFETCH(QString, frame);
    QFETCH(bool, opens);
    QWebSocketServer fake(QStringLiteral("fake"), QWebSocketServer::NonSecureMode);
    QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
    QObject::connect(&fake, &QWebSocketServer::newConnection, &fake, [&] {
        QWebSocket *ws = fake.nextPendingConnection();
        ws->setParent(&fake);
        // After a short delay: QtWebSockets 6.4 drops a frame sent in the handshake's segment.
        QTimer::singleShot(50, ws, [ws, frame, opens] {
            if (opens)
                ws->sendTextMessage(QString::fromLatin1(fakeHandshake()));
            ws->sendTextMessage(frame);
        });
    });
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(fake.serverPort())));
    m_client->setOptions(optionsFor(Mode::WebSocketOnly));
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"transport error"_qs);
    QCOMPARE(probe.opened.size(), opens ? 1 : 0);
    QCOMPARE(probe.errors.size(), 1);
    QCOMPARE(probe.errors.first().first().toString(), u"server error"_qs);
}

void tst_EngineClient::connectTimeoutZeroFailsAtOnce_data()
{
    QTest::addColumn<Mode>("mode");
    QTest::newRow("polling") << Mode::PollingOnly;
    QTest::newRow("websocket") << Mode::WebSocketOnly;
}

void tst_EngineClient::connectTimeoutZeroFailsAtOnce()
{
    // socket.io-client arms a 0 ms timer for timeout 0: the attempt fails before any answer,
    // against a server that would answer at once; std::nullopt disables the timeout
    QFETCH(Mode, mode);
    startServer();
    EngineClient *client = makeClient(mode);
    EngineClientOptions o = optionsFor(mode);
    o.connectTimeout = 0ms;
    client->setOptions(o);
    ClientProbe probe(client);
    client->open();
    QCOMPARE(probe.closed.size(), 0);   // from the event loop, not inside open()
    QTRY_COMPARE(probe.closed.size(), 1);
    QCOMPARE(probe.closeReason(), u"timeout"_qs);
    QCOMPARE(probe.errors.size(), 1);
    QCOMPARE(probe.errors.first().first().toString(), u"timeout"_qs);
    QCOMPARE(probe.opened.size(), 0);

    o.connectTimeout = std::nullopt;
    client->setOptions(o);
    ClientProbe second(client);
    client->open();
    QTRY_COMPARE(second.opened.size(), 1);
    QCOMPARE(second.errors.size(), 0);
}

void tst_EngineClient::failedProbeStaysOnPolling()
{
    // The fake offers an upgrade but answers the WebSocket request with a plain 200: the probe
    // fails and the session goes on over polling.
    QList<QByteArray> posted;
    FakeHttpServer fake([&posted](const QByteArray &line, const QByteArray &body) {
        if (line.startsWith("POST")) {
            posted.append(body);
            return QByteArray("ok");
        }
        if (line.contains("transport=websocket"))
            return QByteArray("not a websocket");
        if (!line.contains("sid="))
            return QByteArray("0{\"sid\":\"fakesid\",\"upgrades\":[\"websocket\"],"
                              "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000}");
        return QByteArray();   // park the GET
    });
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(fake.url());
    m_client->setOptions(optionsFor(Mode::Upgrade));
    ClientProbe probe(m_client.get());
    m_client->open();
    QTRY_COMPARE(probe.upgrading.size(), 1);
    QTRY_VERIFY(std::any_of(fake.requestLines.cbegin(), fake.requestLines.cend(),
                            [](const QByteArray &l) { return l.contains("transport=websocket"); }));
    QTRY_VERIFY(m_client->isWritable());
    m_client->sendText("still polling");
    QTRY_COMPARE(posted, QList<QByteArray>{"4still polling"});
    QTRY_VERIFY(m_client->isWritable());
    QCOMPARE(probe.upgraded.size(), 0);
    QCOMPARE(m_client->transportName(), u"polling"_qs);
    QCOMPARE(m_client->state(), EngineClient::State::Open);
    QCOMPARE(probe.closed.size(), 0);
    QCOMPARE(probe.errors.size(), 0);
}

QTEST_GUILESS_MAIN(tst_EngineClient)
#include "tst_engineclient.moc"
