// EngineClient against the real engine.io server from npm (tests/interop/js/engine-echo-server.js)
// in the three modes: polling only, WebSocket only, polling with upgrade.
#include "nodeprocess.h"

#include <SocketIo/engineclient.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace SocketIo;
using SocketIo::Test::NodeProcess;

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

} // namespace

Q_DECLARE_METATYPE(Mode)

class tst_InteropEngineClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void opensAndEchoesTextAndBinary_data();
    void opensAndEchoesTextAndBinary();
    void heartbeatKeepsSessionAlive_data();
    void heartbeatKeepsSessionAlive();
    void serverCloseIsTransportClose_data();
    void serverCloseIsTransportClose();
    void clientCloseIsTransportCloseOnServer_data();
    void clientCloseIsTransportCloseOnServer();
    void clientPingTimeoutIsTransportCloseOnServer_data();
    void clientPingTimeoutIsTransportCloseOnServer();
    void largeMessagesAreSplitAcrossPosts();
    void transportsOrderAndRememberUpgradeAcrossOpens_data();
    void transportsOrderAndRememberUpgradeAcrossOpens();

private:
    bool startServer(const QStringList &arguments = {});
    void openClient(Mode mode);

    std::unique_ptr<NodeProcess> m_node;
    std::unique_ptr<EngineClient> m_client;
    std::unique_ptr<QSignalSpy> m_opened;
    std::unique_ptr<QSignalSpy> m_closed;
    std::unique_ptr<QSignalSpy> m_upgraded;
    std::unique_ptr<QSignalSpy> m_pings;
    QList<QByteArray> m_texts;
    QList<QByteArray> m_binaries;
    QUrl m_url;
};

static void addModeRows()
{
    QTest::addColumn<Mode>("mode");
    QTest::newRow("polling only") << Mode::PollingOnly;
    QTest::newRow("websocket only") << Mode::WebSocketOnly;
    QTest::newRow("polling then upgrade") << Mode::Upgrade;
}

void tst_InteropEngineClient::init()
{
    m_texts.clear();
    m_binaries.clear();
}

void tst_InteropEngineClient::cleanup()
{
    m_opened.reset();
    m_closed.reset();
    m_upgraded.reset();
    m_pings.reset();
    m_client.reset();
    m_node.reset();
}

bool tst_InteropEngineClient::startServer(const QStringList &arguments)
{
    m_node = std::make_unique<NodeProcess>();
    if (!m_node->start(QStringLiteral("engine-echo-server.js"), arguments))
        return false;
    const QJsonObject listening = m_node->waitForEvent(QStringLiteral("listening"), 15000);
    if (listening.isEmpty())
        return false;
    m_url = QUrl(listening.value(QLatin1String("url")).toString());
    return true;
}

void tst_InteropEngineClient::openClient(Mode mode)
{
    m_client = std::make_unique<EngineClient>();
    m_client->setUrl(m_url);
    EngineClientOptions o = optionsFor(mode);
    o.query.addQueryItem(QStringLiteral("token"), QStringLiteral("t0k"));
    o.extraHeaders.append({QByteArray("X-Interop"), QByteArray("engine")});
    m_client->setOptions(o);
    m_opened = std::make_unique<QSignalSpy>(m_client.get(), &EngineClient::opened);
    m_closed = std::make_unique<QSignalSpy>(m_client.get(), &EngineClient::closed);
    m_upgraded = std::make_unique<QSignalSpy>(m_client.get(), &EngineClient::upgraded);
    m_pings = std::make_unique<QSignalSpy>(m_client.get(), &EngineClient::pingReceived);
    QObject::connect(m_client.get(), &EngineClient::textMessageReceived, m_client.get(),
                     [this](const QByteArray &m) { m_texts.append(m); });
    QObject::connect(m_client.get(), &EngineClient::binaryMessageReceived, m_client.get(),
                     [this](const QByteArray &m) { m_binaries.append(m); });
    m_client->open();
}

#define WAIT_EVENT(var, name)                                                                      \
    const QJsonObject var = m_node->waitForEvent(QStringLiteral(name), 15000);                     \
    QVERIFY2(!var.isEmpty(), qPrintable(m_node->diagnostics()))

void tst_InteropEngineClient::opensAndEchoesTextAndBinary_data()
{
    addModeRows();
}

void tst_InteropEngineClient::opensAndEchoesTextAndBinary()
{
    SOCKETIO_REQUIRE_NODE();
    QFETCH(Mode, mode);
    QVERIFY(startServer());
    openClient(mode);
    WAIT_EVENT(connection, "connection");
    QTRY_COMPARE_WITH_TIMEOUT(m_opened->size(), 1, 10000);
    QCOMPARE(connection.value(u"id").toString(), m_client->sessionId());
    QCOMPARE(connection.value(u"transport").toString(),
             mode == Mode::WebSocketOnly ? u"websocket"_qs : u"polling"_qs);
    QCOMPARE(connection.value(u"query").toObject().value(u"token").toString(), u"t0k"_qs);
    QCOMPARE(connection.value(u"query").toObject().value(u"EIO").toString(), u"4"_qs);
    QCOMPARE(connection.value(u"headers").toObject().value(u"x-interop").toString(), u"engine"_qs);
    if (mode == Mode::Upgrade) {
        WAIT_EVENT(upgrade, "upgrade");
        QCOMPARE(upgrade.value(u"transport").toString(), u"websocket"_qs);
        QTRY_COMPARE(m_upgraded->size(), 1);
        QCOMPARE(m_client->transportName(), u"websocket"_qs);
    }

    const QByteArray unicode = QStringLiteral("h\u00e9llo \u2603").toUtf8();
    const QByteArray bytes("\x00\x01\xfe\xff", 4);
    m_client->sendText(unicode);
    m_client->sendBinary(bytes);
    m_client->sendMessages("header", {QByteArray("a"), QByteArray("bc")});
    QTRY_COMPARE_WITH_TIMEOUT(m_texts, (QList<QByteArray>{unicode, "header"}), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(m_binaries, (QList<QByteArray>{bytes, "a", "bc"}), 10000);

    // Server-initiated sends, text and binary.
    m_node->send({{u"cmd"_qs, u"send"_qs}, {u"data"_qs, u"from node"_qs}});
    m_node->send({{u"cmd"_qs, u"send"_qs}, {u"data"_qs, NodeProcess::binary("\x07\x08")}});
    QTRY_COMPARE_WITH_TIMEOUT(m_texts.size(), 3, 10000);
    QCOMPARE(m_texts.last(), QByteArray("from node"));
    QTRY_COMPARE_WITH_TIMEOUT(m_binaries.size(), 4, 10000);
    QCOMPARE(m_binaries.last(), QByteArray("\x07\x08"));
    QCOMPARE(m_closed->size(), 0);
}

void tst_InteropEngineClient::heartbeatKeepsSessionAlive_data()
{
    addModeRows();
}

void tst_InteropEngineClient::heartbeatKeepsSessionAlive()
{
    SOCKETIO_REQUIRE_NODE();
    QFETCH(Mode, mode);
    QVERIFY(startServer({QStringLiteral("--ping-interval"), QStringLiteral("100"),
                         QStringLiteral("--ping-timeout"), QStringLiteral("100")}));
    openClient(mode);
    QTRY_COMPARE_WITH_TIMEOUT(m_opened->size(), 1, 10000);
    // Node closes after pingTimeout without a pong: six pings prove the pongs arrive.
    QTRY_VERIFY_WITH_TIMEOUT(m_pings->size() >= 6, 10000);
    QCOMPARE(m_closed->size(), 0);
    QVERIFY2(m_node->waitForEvent(QStringLiteral("close"), 0).isEmpty(),
             qPrintable(m_node->diagnostics()));
}

void tst_InteropEngineClient::serverCloseIsTransportClose_data()
{
    addModeRows();
}

void tst_InteropEngineClient::serverCloseIsTransportClose()
{
    SOCKETIO_REQUIRE_NODE();
    QFETCH(Mode, mode);
    QVERIFY(startServer());
    openClient(mode);
    QTRY_COMPARE_WITH_TIMEOUT(m_opened->size(), 1, 10000);
    if (mode == Mode::Upgrade)
        QTRY_COMPARE_WITH_TIMEOUT(m_upgraded->size(), 1, 10000);
    m_client->sendText("close-me");
    WAIT_EVENT(close, "close");
    QCOMPARE(close.value(u"reason").toString(), u"forced close"_qs);
    QTRY_COMPARE_WITH_TIMEOUT(m_closed->size(), 1, 10000);
    QCOMPARE(m_closed->first().at(0).toString(), u"transport close"_qs);
}

void tst_InteropEngineClient::clientCloseIsTransportCloseOnServer_data()
{
    addModeRows();
}

void tst_InteropEngineClient::clientCloseIsTransportCloseOnServer()
{
    SOCKETIO_REQUIRE_NODE();
    QFETCH(Mode, mode);
    QVERIFY(startServer());
    openClient(mode);
    QTRY_COMPARE_WITH_TIMEOUT(m_opened->size(), 1, 10000);
    if (mode == Mode::Upgrade)
        QTRY_COMPARE_WITH_TIMEOUT(m_upgraded->size(), 1, 10000);
    m_client->sendText("before close");
    m_client->close();
    QTRY_COMPARE_WITH_TIMEOUT(m_closed->size(), 1, 10000);
    QCOMPARE(m_closed->first().at(0).toString(), u"forced close"_qs);
    WAIT_EVENT(message, "message");
    QCOMPARE(message.value(u"data").toString(), u"before close"_qs);
    WAIT_EVENT(close, "close");
    QCOMPARE(close.value(u"reason").toString(), u"transport close"_qs);
}

void tst_InteropEngineClient::clientPingTimeoutIsTransportCloseOnServer_data()
{
    addModeRows();
}

void tst_InteropEngineClient::clientPingTimeoutIsTransportCloseOnServer()
{
    // The server stops pinging: the client gives up after pingInterval + pingTimeout and, as
    // engine.io-client, closes its transport properly (polling: a close packet; WebSocket: a
    // close frame), so the server reads "transport close", not a request cut off.
    SOCKETIO_REQUIRE_NODE();
    QFETCH(Mode, mode);
    QVERIFY(startServer());
    openClient(mode);
    QTRY_COMPARE_WITH_TIMEOUT(m_opened->size(), 1, 10000);
    if (mode == Mode::Upgrade)
        QTRY_COMPARE_WITH_TIMEOUT(m_upgraded->size(), 1, 10000);
    const QString sid = m_client->sessionId();
    m_node->send({{u"cmd"_qs, u"silence"_qs}});
    WAIT_EVENT(silenced, "silenced");
    QCOMPARE(silenced.value(u"count").toInt(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_closed->size(), 1, 10000);
    QCOMPARE(m_closed->first().at(0).toString(), u"ping timeout"_qs);
    WAIT_EVENT(close, "close");
    QCOMPARE(close.value(u"reason").toString(), u"transport close"_qs);
    QCOMPARE(close.value(u"id").toString(), sid);
}

void tst_InteropEngineClient::largeMessagesAreSplitAcrossPosts()
{
    SOCKETIO_REQUIRE_NODE();
    QVERIFY(startServer({QStringLiteral("--max-payload"), QStringLiteral("1000")}));
    openClient(Mode::PollingOnly);
    QTRY_COMPARE_WITH_TIMEOUT(m_opened->size(), 1, 10000);
    QCOMPARE(m_client->maxPayload(), qint64(1000));
    QList<QByteArray> expected;
    for (int i = 0; i < 10; ++i) {
        expected.append(QByteArray(300, char('a' + i)));
        m_client->sendText(expected.last());
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_texts, expected, 10000);
    QCOMPARE(m_closed->size(), 0);
}

void tst_InteropEngineClient::transportsOrderAndRememberUpgradeAcrossOpens_data()
{
    QTest::addColumn<QStringList>("transports");
    QTest::addColumn<bool>("rememberUpgrade");
    QTest::addColumn<QStringList>("expected");   // the transport of each of two sessions at connection
    QTest::newRow("default") << QStringList() << false << QStringList{u"polling"_qs, u"polling"_qs};
    QTest::newRow("rememberUpgrade") << QStringList() << true << QStringList{u"polling"_qs, u"websocket"_qs};
    QTest::newRow("websocket first") << QStringList{u"websocket"_qs, u"polling"_qs} << false
                                     << QStringList{u"websocket"_qs, u"websocket"_qs};
}

void tst_InteropEngineClient::transportsOrderAndRememberUpgradeAcrossOpens()
{
    // engine.io-client: the first transport of `transports` opens the session; rememberUpgrade
    // opens with WebSocket after a session that ended up on it (here: the same EngineClient
    // opened again)
    SOCKETIO_REQUIRE_NODE();
    QFETCH(QStringList, transports);
    QFETCH(bool, rememberUpgrade);
    QFETCH(QStringList, expected);
    QVERIFY(startServer());
    EngineClient client;
    client.setUrl(m_url);
    EngineClientOptions options;
    options.transports = transports;
    options.rememberUpgrade = rememberUpgrade;
    client.setOptions(options);
    QSignalSpy opened(&client, &EngineClient::opened);
    QSignalSpy closed(&client, &EngineClient::closed);
    QStringList seen;
    for (int session = 0; session < 2; ++session) {
        client.open();
        WAIT_EVENT(connection, "connection");
        seen.append(connection.value(u"transport").toString());
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), session + 1, 10000);
        QTRY_COMPARE(client.transportName(), u"websocket"_qs);   // upgraded, or opened with it
        client.close();
        QTRY_COMPARE(closed.size(), session + 1);
    }
    QCOMPARE(seen, expected);
}

QTEST_GUILESS_MAIN(tst_InteropEngineClient)
#include "tst_interop_engineclient.moc"
