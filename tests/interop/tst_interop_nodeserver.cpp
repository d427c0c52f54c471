// Interop: our client (SocketIo::Client) against the real Node socket.io@4 server
// (tests/interop/js/reference-server.js, started and killed by the test) in three transport
// modes: connecting, events, acks both ways, binary, namespaces, connect_error with data,
// disconnect reasons, reconnection after the server process restarts, and connection state
// recovery of missed messages.
#include "clienttesthelpers.h"
#include "nodeprocess.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>

#include <QCborMap>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Client;
using SocketIo::ClientOptions;
using SocketIo::ClientSocket;
using SocketIo::DisconnectReason;
using SocketIo::Message;
using SocketIo::Test::NodeProcess;

using SocketIo::Test::addTransportRows;
using SocketIo::Test::keep;
using SocketIo::Test::rowOptions;


class tst_InteropNodeServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void eventsAcksAndBinaryBothWays_data() { addTransportRows(); }
    void eventsAcksAndBinaryBothWays();
    void namespacesAndConnectErrorWithData_data() { addTransportRows(); }
    void namespacesAndConnectErrorWithData();
    void disconnectReasons_data() { addTransportRows(); }
    void disconnectReasons();
    void reconnectsAfterServerProcessRestart_data() { addTransportRows(); }
    void reconnectsAfterServerProcessRestart();
    void recoversMissedMessages_data() { addTransportRows(); }
    void recoversMissedMessages();

    // client options as socket.io-client 4.8.4 / engine.io-client 6.6.8 apply them
    void queryIsEncodedAsEncodeURIComponent_data() { addTransportRows(); }
    void queryIsEncodedAsEncodeURIComponent();
    void urlQueryReplacesTheQueryOption_data() { addTransportRows(); }
    void urlQueryReplacesTheQueryOption();
    void withCredentialsControlsCookies_data();
    void withCredentialsControlsCookies();
    void undecodableEnginePacketIsServerError();
    void urlPathIsTheDefaultNamespace_data() { addTransportRows(); }
    void urlPathIsTheDefaultNamespace();
    void clientCloseIsForcedCloseAndOpenRejoins_data() { addTransportRows(); }
    void clientCloseIsForcedCloseAndOpenRejoins();
    void transportsOrderChoosesTheFirstTransport_data();
    void transportsOrderChoosesTheFirstTransport();
    void tryAllTransportsFallsBackToTheNext_data();
    void tryAllTransportsFallsBackToTheNext();
    void rememberUpgradeOpensWithWebSocketNextTime_data();
    void rememberUpgradeOpensWithWebSocketNextTime();
    void addTrailingSlashChoosesTheRequestPath_data();
    void addTrailingSlashChoosesTheRequestPath();
    void connectErrorDetailsCarryTheHttpStatus();

private:
    /*! Starts the reference server; returns its port (0 on failure). */
    quint16 startServer(NodeProcess &node, const QStringList &extra = {});
    /*! Starts client-options-server.js; returns its port (0 on failure). */
    quint16 startOptionsServer(NodeProcess &node, const QStringList &extra = {});
};

quint16 tst_InteropNodeServer::startOptionsServer(NodeProcess &node, const QStringList &extra)
{
    if (!node.start(u"client-options-server.js"_s, extra))
        return 0;
    const QJsonObject line = node.waitForEvent(u"listening"_s, 15000);
    if (line.isEmpty())
        qWarning("%s", qPrintable(node.diagnostics()));
    return quint16(line.value(u"port"_s).toInt());
}

void tst_InteropNodeServer::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    qRegisterMetaType<SocketIo::DisconnectReason>();
    qRegisterMetaType<SocketIo::Message>();
}

quint16 tst_InteropNodeServer::startServer(NodeProcess &node, const QStringList &extra)
{
    if (!node.start(u"reference-server.js"_s, extra))
        return 0;
    const QJsonObject line = node.waitForEvent(u"listening"_s, 15000);
    if (line.isEmpty())
        qWarning("%s", qPrintable(node.diagnostics()));
    return quint16(line.value(u"port"_s).toInt());
}

void tst_InteropNodeServer::eventsAcksAndBinaryBothWays()
{
    NodeProcess node;
    const quint16 port = startServer(node);
    QVERIFY(port);
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), rowOptions());
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.auth = QCborMap{{u"token"_s, u"abc"_s}};
    ClientSocket *socket = client.socket(u"/"_s, socketOptions);
    QList<Message> received;
    QObject::connect(socket, &ClientSocket::eventReceived, socket, [&](const Message &m) {
        received.append(m);
        if (m.event() == u"question"_s)
            m.ack({u"answer"_s, QCborValue(QByteArray("\x09\x08", 2))});
    });
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    const QJsonObject connection = node.waitForEvent(u"connection"_s);
    QCOMPARE(connection.value(u"id"_s).toString(), socket->id());
    QCOMPARE(connection.value(u"auth"_s).toObject(), (QJsonObject{{u"token"_s, u"abc"_s}}));
    // the server emits "auth" on connection
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().event(), u"auth"_s);
    QCOMPARE(received.first().args(), (QCborArray{QCborMap{{u"token"_s, u"abc"_s}}}));

    // client -> server events, with binary, echoed back
    const QCborArray payload{1, u"two"_s, QCborValue(QByteArray("\x01\x02\x03", 3)),
                             QCborMap{{u"bin"_s, QCborValue(QByteArray("\xff", 1))}}};
    QVERIFY(socket->emitEvent(u"message"_s, payload));
    const QJsonObject seen = node.waitForReceived(u"message"_s);
    QVERIFY2(!seen.isEmpty(), qPrintable(node.diagnostics()));
    QCOMPARE(seen.value(u"args"_s).toArray().at(2).toObject(), NodeProcess::binary(QByteArray("\x01\x02\x03", 3)));
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(received.last().event(), u"message-back"_s);
    QCOMPARE(received.last().args(), payload);

    // client -> server with ack
    AckReply *reply = socket->emitWithAck(u"message-with-ack"_s, {u"x"_s, QCborValue(QByteArray("ab"))}, 5s);
    const auto replyHolder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), AckReply::Error::NoError);
    QCOMPARE(reply->args(), (QCborArray{u"x"_s, QCborValue(QByteArray("ab"))}));

    // server -> client with ack (the client answers with binary)
    node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"question"_s}, {u"args"_s, QJsonArray{42}},
               {u"ack"_s, true}, {u"timeout"_s, 5000}, {u"id"_s, 7}});
    const QJsonObject ack = node.waitForEvent(u"ack"_s);
    QVERIFY2(!ack.isEmpty(), qPrintable(node.diagnostics()));
    // responses: one per client, its first ack argument
    QCOMPARE(ack.value(u"responses"_s).toArray(), (QJsonArray{u"answer"_s}));
    QCOMPARE(received.last().event(), u"question"_s);
    QCOMPARE(received.last().args(), (QCborArray{42}));

    // server -> client binary
    node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"bin"_s},
               {u"args"_s, QJsonArray{NodeProcess::binary(QByteArray("\x00\x01", 2)), u"t"_s}}});
    QTRY_VERIFY(received.last().event() == u"bin"_s);
    QCOMPARE(received.last().args(), (QCborArray{QCborValue(QByteArray("\x00\x01", 2)), u"t"_s}));
}

void tst_InteropNodeServer::namespacesAndConnectErrorWithData()
{
    NodeProcess node;
    const quint16 port = startServer(node);
    QVERIFY(port);
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), rowOptions());
    ClientSocket *main = client.socket();
    ClientSocket *custom = client.socket(u"/custom"_s);
    ClientSocket *denied = client.socket(u"/private"_s);
    SocketIo::ClientSocketOptions good;
    good.authCallback = [](const std::function<void(const QCborMap &)> &done) {
        done(QCborMap{{u"token"_s, u"secret"_s}});
    };
    QSignalSpy deniedErrors(denied, &ClientSocket::connectError);
    QTRY_VERIFY_WITH_TIMEOUT(main->isConnected() && custom->isConnected(), 10000);
    QTRY_COMPARE(deniedErrors.size(), 1);
    QCOMPARE(deniedErrors.first().at(0).toString(), u"not authorized"_s);
    QCOMPARE(deniedErrors.first().at(1).value<QCborValue>(), QCborValue(QCborMap{{u"reason"_s, u"bad token"_s}}));
    // the same in the details: a server refusal, not a TransportError
    QCOMPARE(denied->lastConnectError().message, u"not authorized"_s);
    QCOMPARE(denied->lastConnectError().data, QCborValue(QCborMap{{u"reason"_s, u"bad token"_s}}));
    QVERIFY(!denied->lastConnectError().transportError);
    QCOMPARE(denied->lastConnectError().httpStatus, 0);
    QVERIFY(!denied->isActive());
    QVERIFY(main->id() != custom->id());

    // a second client with the right token in an asynchronous callback gets in
    Client second(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), rowOptions());
    ClientSocket *priv = second.socket(u"/private"_s, good);
    QTRY_VERIFY_WITH_TIMEOUT(priv->isConnected(), 10000);
    const QJsonObject privateConnection = node.waitForLine([](const QJsonObject &l) {
        return l.value(u"event"_s) == u"connection"_s && l.value(u"namespace"_s) == u"/private"_s;
    });
    QCOMPARE(privateConnection.value(u"id"_s).toString(), priv->id());
}

void tst_InteropNodeServer::disconnectReasons()
{
    NodeProcess node;
    const quint16 port = startServer(node);
    QVERIFY(port);
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);

    // the server kicks the socket (and closes the connection): io server disconnect, no reconnection
    QVERIFY(socket->emitEvent(u"disconnect-me"_s));
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::IoServerDisconnect);
    QVERIFY(!socket->isActive());
    QCOMPARE(client.state(), Client::State::Closed);
    QVERIFY(!node.waitForEvent(u"disconnect"_s).isEmpty());

    // the application leaves: io client disconnect here, client namespace disconnect there
    socket->open();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    socket->close();
    QCOMPARE(disconnected.size(), 2);
    QCOMPARE(disconnected.last().at(0).value<DisconnectReason>(), DisconnectReason::IoClientDisconnect);
    const QJsonObject serverSide = node.waitForEvent(u"disconnect"_s);
    QCOMPARE(serverSide.value(u"reason"_s).toString(), u"client namespace disconnect"_s);
    QCOMPARE(attempts.size(), 0);

    // the server closes the transport: transport close, and the client comes back
    socket->open();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    node.send({{u"cmd"_s, u"close-transport"_s}});
    QTRY_COMPARE(disconnected.size(), 3);
    QCOMPARE(disconnected.last().at(0).value<DisconnectReason>(), DisconnectReason::TransportClose);
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    QVERIFY(attempts.size() >= 1);
}

void tst_InteropNodeServer::reconnectsAfterServerProcessRestart()
{
    auto node = std::make_unique<NodeProcess>();
    const quint16 port = startServer(*node);
    QVERIFY(port);
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy reconnected(&client, &Client::reconnected);
    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 1, 10000);
    const QString firstId = socket->id();

    node->kill();
    QTRY_COMPARE(disconnected.size(), 1);
    const auto reason = disconnected.first().at(0).value<DisconnectReason>();
    QVERIFY2(reason == DisconnectReason::TransportClose || reason == DisconnectReason::TransportError,
             qPrintable(SocketIo::reasonString(reason)));
    QTRY_VERIFY(attempts.size() >= 2);   // at least one failed attempt while nobody listens

    node = std::make_unique<NodeProcess>();
    QCOMPARE(startServer(*node, {u"--port"_s, QString::number(port)}), port);
    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 2, 10000);
    QCOMPARE(reconnected.size(), 1);
    QVERIFY(socket->id() != firstId);
    QVERIFY(!node->waitForEvent(u"connection"_s).isEmpty());
}

void tst_InteropNodeServer::recoversMissedMessages()
{
    NodeProcess node;
    const quint16 port = startServer(node, {u"--recovery"_s});
    QVERIFY(port);
    ClientOptions options = rowOptions();
    // a fixed, long enough gap to emit while the client is away
    options.reconnectionDelay = 1000ms;
    options.reconnectionDelayMax = 1000ms;
    options.randomizationFactor = 0;
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QStringList numbers;
    QObject::connect(socket, &ClientSocket::eventReceived, socket, [&](const Message &m) {
        if (m.event() == u"n"_s)
            numbers.append(m.args().at(0).toString());
    });
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 1, 10000);
    QVERIFY(!socket->isRecovered());
    const QString id = socket->id();
    QVERIFY(!node.waitForEvent(u"connection"_s).isEmpty());

    auto emitNumber = [&](int n) {
        node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"n"_s}, {u"args"_s, QJsonArray{QString::number(n)}}});
    };
    emitNumber(1);
    emitNumber(2);
    QTRY_COMPARE(numbers, (QStringList{u"1"_s, u"2"_s}));

    node.send({{u"cmd"_s, u"close-transport"_s}});
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::TransportClose);
    const QJsonObject serverSide = node.waitForEvent(u"disconnect"_s);
    QCOMPARE(serverSide.value(u"reason"_s).toString(), u"forced close"_s);
    // missed while away
    emitNumber(3);
    emitNumber(4);
    emitNumber(5);
    QCOMPARE(connected.size(), 1);

    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 2, 10000);
    QVERIFY(socket->isRecovered());
    QCOMPARE(socket->id(), id);
    const QJsonObject again = node.waitForEvent(u"connection"_s);
    QCOMPARE(again.value(u"recovered"_s).toBool(), true);
    emitNumber(6);
    // nothing lost, nothing twice, in order
    QTRY_COMPARE(numbers, (QStringList{u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s, u"6"_s}));
}

void tst_InteropNodeServer::queryIsEncodedAsEncodeURIComponent()
{
    // engine.io-client encodes the query with encodeURIComponent(): a '+' arrives as a '+'
    // (sent raw, Node would read a space), reserved characters arrive unchanged
    NodeProcess node;
    const quint16 port = startOptionsServer(node);
    QVERIFY(port);
    ClientOptions options = rowOptions();
    options.query.addQueryItem(u"plus"_s, u"a+b c"_s);
    options.query.addQueryItem(u"pct"_s, u"100%25"_s);                 // QUrlQuery input is encoded: "100%"
    options.query.addQueryItem(u"reserved"_s, u"%26%3D%3F%23/:"_s);    // "&=?#/:"
    options.query.addQueryItem(u"unicode"_s, u"\u00e9t\u00e9"_s);
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    const QJsonObject connection = node.waitForEvent(u"connection"_s);
    QVERIFY2(!connection.isEmpty(), qPrintable(node.diagnostics()));
    const QJsonObject query = connection.value(u"query"_s).toObject();
    QCOMPARE(query.value(u"plus"_s).toString(), u"a+b c"_s);
    QCOMPARE(query.value(u"pct"_s).toString(), u"100%"_s);
    QCOMPARE(query.value(u"reserved"_s).toString(), u"&=?#/:"_s);
    QCOMPARE(query.value(u"unicode"_s).toString(), u"\u00e9t\u00e9"_s);
    QCOMPARE(query.value(u"EIO"_s).toString(), u"4"_s);
}

void tst_InteropNodeServer::urlQueryReplacesTheQueryOption()
{
    // engine.io-client: `if (parsedUri.query) opts.query = parsedUri.query` (no merge); a '+'
    // in the URL is a '+' (decodeURIComponent), sent as %2B
    NodeProcess node;
    const quint16 port = startOptionsServer(node);
    QVERIFY(port);
    ClientOptions options = rowOptions();
    options.query.addQueryItem(u"fromOption"_s, u"1"_s);
    Client client(QUrl(u"http://127.0.0.1:%1/?fromUrl=a+b&n=%2B1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QCOMPARE(socket->namespaceName(), u"/"_s);
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    const QJsonObject connection = node.waitForEvent(u"connection"_s);
    QVERIFY2(!connection.isEmpty(), qPrintable(node.diagnostics()));
    const QJsonObject query = connection.value(u"query"_s).toObject();
    QVERIFY2(!query.contains(u"fromOption"_s), "the URL's query replaces the query option");
    QCOMPARE(query.value(u"fromUrl"_s).toString(), u"a+b"_s);
    QCOMPARE(query.value(u"n"_s).toString(), u"+1"_s);

    // without a query in the URL the option is used
    Client second(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *secondSocket = second.socket();
    QTRY_VERIFY_WITH_TIMEOUT(secondSocket->isConnected(), 10000);
    const QJsonObject secondConnection = node.waitForEvent(u"connection"_s);
    QCOMPARE(secondConnection.value(u"query"_s).toObject().value(u"fromOption"_s).toString(), u"1"_s);
    QVERIFY(!secondConnection.value(u"query"_s).toObject().contains(u"fromUrl"_s));
}

void tst_InteropNodeServer::withCredentialsControlsCookies_data()
{
    QTest::addColumn<bool>("withCredentials");
    QTest::newRow("withCredentials false (default)") << false;
    QTest::newRow("withCredentials true") << true;
}

void tst_InteropNodeServer::withCredentialsControlsCookies()
{
    // the server sets io=<sid> on the handshake (engine.io `cookie` option); engine.io-client
    // sends it back on polling and in the WebSocket upgrade only with withCredentials
    QFETCH(bool, withCredentials);
    NodeProcess node;
    const quint16 port = startOptionsServer(node, {u"--cookie"_s});
    QVERIFY(port);
    ClientOptions options;
    options.withCredentials = withCredentials;
    QCOMPARE(ClientOptions().withCredentials, false);
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    const QJsonObject upgrade = node.waitForEvent(u"upgrade"_s);
    QVERIFY2(!upgrade.isEmpty(), qPrintable(node.diagnostics()));
    QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);
    const QString sid = upgrade.value(u"sid"_s).toString();
    QVERIFY(!sid.isEmpty());
    const QString expected = u"io="_s + sid;

    int pollsWithSid = 0;
    for (const QJsonObject &line : node.lines()) {
        if (line.value(u"event"_s) != u"request"_s || line.value(u"sid"_s).toString() != sid)
            continue;
        ++pollsWithSid;
        if (withCredentials)
            QCOMPARE(line.value(u"cookie"_s).toString(), expected);
        else
            QVERIFY2(line.value(u"cookie"_s).isNull(), qPrintable(line.value(u"cookie"_s).toString()));
    }
    QVERIFY(pollsWithSid >= 1);
    if (withCredentials)
        QCOMPARE(upgrade.value(u"cookie"_s).toString(), expected);
    else
        QVERIFY2(upgrade.value(u"cookie"_s).isNull(), qPrintable(upgrade.value(u"cookie"_s).toString()));
}

void tst_InteropNodeServer::undecodableEnginePacketIsServerError()
{
    // engine.io-client turns an undecodable packet into Error("server error") and closes with
    // "transport error" (not "parse error", which is for Socket.IO-level decoding)
    NodeProcess node;
    const quint16 port = startOptionsServer(node, {u"--bad-engine"_s});
    QVERIFY(port);
    ClientOptions options;
    options.websocket = false;
    options.reconnection = false;
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy connectErrors(socket, &ClientSocket::connectError);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"invalid polling payload from the server"_s));
    QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 10000);
    QVERIFY(!node.waitForEvent(u"bad-payload-sent"_s).isEmpty());
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.first().at(0).toString(), u"server error"_s);
    QCOMPARE(closed.first().at(0).value<DisconnectReason>(), DisconnectReason::TransportError);
    QCOMPARE(connectErrors.size(), 1);   // the socket was waiting for its CONNECT reply
    QCOMPARE(connectErrors.first().at(0).toString(), u"server error"_s);
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::TransportError);
    // no TransportError and no failing HTTP status (the bad payload came in a 200 reply); the
    // description says what could not be decoded
    for (const SocketIo::ConnectErrorDetails &details : {client.lastError(), socket->lastConnectError()}) {
        QCOMPARE(details.message, u"server error"_s);
        QCOMPARE(details.transportError, false);
        QCOMPARE(details.httpStatus, 0);
        QVERIFY(!details.description.isEmpty());
    }
}

void tst_InteropNodeServer::urlPathIsTheDefaultNamespace()
{
    // socket.io-client: io("http://host/custom") joins "/custom"; the engine path stays /socket.io
    NodeProcess node;
    const quint16 port = startOptionsServer(node);
    QVERIFY(port);
    Client client(QUrl(u"http://127.0.0.1:%1/custom"_s.arg(port)), rowOptions());
    ClientSocket *socket = client.socket();
    QCOMPARE(socket->namespaceName(), u"/custom"_s);
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    const QJsonObject connection = node.waitForEvent(u"connection"_s);
    QVERIFY2(!connection.isEmpty(), qPrintable(node.diagnostics()));
    QCOMPARE(connection.value(u"namespace"_s).toString(), u"/custom"_s);
    QCOMPARE(connection.value(u"id"_s).toString(), socket->id());
    // an explicit "/" is the main namespace whatever the URL; the same socket for the same name
    ClientSocket *main = client.socket(u"/"_s);
    QVERIFY(main != socket);
    QCOMPARE(client.socket(u"custom"_s), socket);
    QTRY_VERIFY_WITH_TIMEOUT(main->isConnected(), 10000);
    QCOMPARE(node.waitForEvent(u"connection"_s).value(u"namespace"_s).toString(), u"/"_s);

    // a URL whose path is "/" (or empty) means "/"
    Client rootClient(QUrl(u"http://127.0.0.1:%1/"_s.arg(port)), rowOptions());
    QCOMPARE(rootClient.socket()->namespaceName(), u"/"_s);
}

void tst_InteropNodeServer::clientCloseIsForcedCloseAndOpenRejoins()
{
    // socket.io-client's manager.disconnect() (Manager._close() -> onclose("forced close")): no
    // DISCONNECT packets, the engine closes (the server sees "transport close"), every active
    // socket gets "disconnect" with "forced close" and stays active, nothing reconnects by
    // itself, and manager.open() / socket.connect() bring the sockets back.
    NodeProcess node;
    const quint16 port = startServer(node);
    QVERIFY(port);
    const QUrl url(u"http://127.0.0.1:%1"_s.arg(port));
    ClientOptions options = rowOptions();
    // a reconnection, if one were scheduled, would start within the waits below
    options.reconnectionDelay = 50ms;
    options.reconnectionDelayMax = 50ms;
    Client client(url, options);
    ClientSocket *main = client.socket(u"/"_s);
    ClientSocket *custom = client.socket(u"/custom"_s);
    QSignalSpy mainDisconnected(main, &ClientSocket::disconnected);
    QSignalSpy customDisconnected(custom, &ClientSocket::disconnected);
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy opened(&client, &Client::opened);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QTRY_VERIFY_WITH_TIMEOUT(main->isConnected() && custom->isConnected(), 10000);
    QCOMPARE(opened.size(), 1);
    for (int i = 0; i < 2; ++i)
        QVERIFY(!node.waitForEvent(u"connection"_s).isEmpty());
    // the reference server never acknowledges this event: the ack is pending at close()
    AckReply *pending = main->emitWithAck(u"never-acked"_s, {}, std::nullopt);
    const auto pendingHolder = keep(pending);
    QSignalSpy pendingFinished(pending, &AckReply::finished);
    QVERIFY(!node.waitForReceived(u"never-acked"_s).isEmpty());

    client.close();
    QCOMPARE(client.state(), Client::State::Closed);
    QCOMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QCOMPARE(mainDisconnected.size(), 1);
    QCOMPARE(mainDisconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QCOMPARE(customDisconnected.size(), 1);
    QCOMPARE(customDisconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QVERIFY(main->isActive());
    QVERIFY(custom->isActive());
    QVERIFY(!main->isConnected());
    QVERIFY(main->id().isEmpty());
    QTRY_COMPARE(pendingFinished.size(), 1);
    QCOMPARE(pending->error(), AckReply::Error::Disconnected);
    // no DISCONNECT packet: both namespaces leave with the transport
    QStringList serverReasons;
    for (int i = 0; i < 2; ++i) {
        const QJsonObject left = node.waitForEvent(u"disconnect"_s);
        QVERIFY2(!left.isEmpty(), qPrintable(node.diagnostics()));
        serverReasons.append(left.value(u"reason"_s).toString());
    }
    QCOMPARE(serverReasons, (QStringList{u"transport close"_s, u"transport close"_s}));
    // nothing reconnects by itself
    QVERIFY(!opened.wait(500));
    QCOMPARE(attempts.size(), 0);
    QCOMPARE(client.state(), Client::State::Closed);

    // the Manager emits "close" on every disconnect(), and each active socket hears it
    client.close();
    QCOMPARE(closed.size(), 2);
    QCOMPARE(mainDisconnected.size(), 2);
    QCOMPARE(customDisconnected.size(), 2);
    QCOMPARE(customDisconnected.last().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);

    // manager.open(): every active socket joins again
    client.open();
    QTRY_VERIFY_WITH_TIMEOUT(main->isConnected() && custom->isConnected(), 10000);
    QStringList namespaces;
    for (int i = 0; i < 2; ++i)
        namespaces.append(node.waitForEvent(u"connection"_s).value(u"namespace"_s).toString());
    namespaces.sort();
    QCOMPARE(namespaces, (QStringList{u"/"_s, u"/custom"_s}));
    QCOMPARE(attempts.size(), 0);

    // closed before the event loop ran: socket.io-client's socket is already active then (it
    // connects in its constructor), so ours counts as active too and rejoins on socket.connect()
    Client early(url, options);
    ClientSocket *earlySocket = early.socket();
    QSignalSpy earlyDisconnected(earlySocket, &ClientSocket::disconnected);
    QSignalSpy earlyOpened(&early, &Client::opened);
    early.close();
    QVERIFY(earlySocket->isActive());
    QCOMPARE(earlyDisconnected.size(), 1);
    QCOMPARE(earlyDisconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QVERIFY(!earlyOpened.wait(300));
    QVERIFY(!early.engine());
    earlySocket->open();
    QTRY_VERIFY_WITH_TIMEOUT(earlySocket->isConnected(), 10000);
}

namespace {

/*! The transport of the request that opened each Engine.IO session (polling GET or WebSocket
    upgrade without sid), in order. */
QStringList openingTransports(const NodeProcess &node)
{
    QStringList list;
    for (const QJsonObject &line : node.lines()) {
        const QString event = line.value(u"event"_s).toString();
        if ((event == u"request"_s || event == u"upgrade"_s) && line.value(u"sid"_s).isNull())
            list.append(line.value(u"transport"_s).toString());
    }
    return list;
}

} // namespace

void tst_InteropNodeServer::transportsOrderChoosesTheFirstTransport_data()
{
    QTest::addColumn<QStringList>("transports");
    QTest::addColumn<QString>("opening");
    QTest::addColumn<QString>("final");
    QTest::newRow("websocket, polling") << QStringList{u"websocket"_s, u"polling"_s} << u"websocket"_s
                                        << u"websocket"_s;
    QTest::newRow("polling, websocket") << QStringList{u"polling"_s, u"websocket"_s} << u"polling"_s
                                        << u"websocket"_s;
    // a transport not listed is never upgraded to
    QTest::newRow("polling") << QStringList{u"polling"_s} << u"polling"_s << u"polling"_s;
}

void tst_InteropNodeServer::transportsOrderChoosesTheFirstTransport()
{
    // engine.io-client opens with transports[0] and upgrades only to listed transports
    QFETCH(QStringList, transports);
    QFETCH(QString, opening);
    QFETCH(QString, final);
    NodeProcess node;
    const quint16 port = startOptionsServer(node);
    QVERIFY(port);
    ClientOptions options;
    options.transports = transports;
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QSignalSpy opened(&client, &Client::opened);
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    QVERIFY(!node.waitForEvent(u"connection"_s).isEmpty());
    QCOMPARE(openingTransports(node), QStringList{opening});
    if (final != opening)
        QTRY_COMPARE(client.engine()->transportName(), final);
    // an ack round trip: an upgrade that were to happen would have started by now
    AckReply *reply = socket->emitWithAck(u"never-acked"_s, {}, 300ms);
    const auto holder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(client.engine()->transportName(), final);
    QCOMPARE(opened.size(), 1);
}

void tst_InteropNodeServer::tryAllTransportsFallsBackToTheNext_data()
{
    QTest::addColumn<bool>("tryAllTransports");
    QTest::newRow("tryAllTransports false (default)") << false;
    QTest::newRow("tryAllTransports true") << true;
}

void tst_InteropNodeServer::tryAllTransportsFallsBackToTheNext()
{
    // a polling-only server refuses the WebSocket: engine.io-client fails the attempt, or with
    // tryAllTransports goes on with the next transport of the list within the same attempt
    QFETCH(bool, tryAllTransports);
    QCOMPARE(ClientOptions().tryAllTransports, false);
    NodeProcess node;
    const quint16 port = startOptionsServer(node, {u"--transports"_s, u"polling"_s});
    QVERIFY(port);
    ClientOptions options;
    options.transports = {u"websocket"_s, u"polling"_s};
    options.reconnection = false;
    options.tryAllTransports = tryAllTransports;
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy connectErrors(socket, &ClientSocket::connectError);
    if (tryAllTransports) {
        QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
        QCOMPARE(client.engine()->transportName(), u"polling"_s);
        QCOMPARE(node.waitForEvent(u"connection"_s).value(u"id"_s).toString(), socket->id());
        // one attempt: the WebSocket refused, then polling; no error reported for the first
        QCOMPARE(openingTransports(node), (QStringList{u"websocket"_s, u"polling"_s}));
        QCOMPARE(errors.size(), 0);
        QCOMPARE(connectErrors.size(), 0);
        return;
    }
    QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, 10000);
    QCOMPARE(errors.first().at(0).toString(), u"websocket error"_s);
    QCOMPARE(connectErrors.size(), 1);
    QVERIFY(!socket->isConnected());
    QCOMPARE(client.state(), Client::State::Closed);
    // only the WebSocket was tried (the client may see the refusal before Node's line is read)
    QVERIFY(!node.waitForEvent(u"upgrade"_s).isEmpty());
    QCOMPARE(openingTransports(node), QStringList{u"websocket"_s});
}

void tst_InteropNodeServer::rememberUpgradeOpensWithWebSocketNextTime_data()
{
    QTest::addColumn<bool>("rememberUpgrade");
    QTest::newRow("rememberUpgrade false (default)") << false;
    QTest::newRow("rememberUpgrade true") << true;
}

void tst_InteropNodeServer::rememberUpgradeOpensWithWebSocketNextTime()
{
    // engine.io-client: after a successful upgrade, rememberUpgrade opens the next connection
    // with WebSocket directly; without it every connection starts with polling again
    QFETCH(bool, rememberUpgrade);
    QCOMPARE(ClientOptions().rememberUpgrade, false);
    NodeProcess node;
    const quint16 port = startOptionsServer(node);
    QVERIFY(port);
    ClientOptions options;
    options.rememberUpgrade = rememberUpgrade;
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    ClientSocket *socket = client.socket();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);
    QCOMPARE(openingTransports(node), QStringList{u"polling"_s});
    QVERIFY(!node.waitForEvent(u"connection"_s).isEmpty());

    client.close();
    client.open();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    QVERIFY(!node.waitForEvent(u"connection"_s).isEmpty());
    const QString second = rememberUpgrade ? u"websocket"_s : u"polling"_s;
    QCOMPARE(openingTransports(node), (QStringList{u"polling"_s, second}));
    QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);

    // another client never inherits it (engine.io-client keeps it process-wide; we keep it per client)
    Client other(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    QTRY_VERIFY_WITH_TIMEOUT(other.socket()->isConnected(), 10000);
    QCOMPARE(openingTransports(node), (QStringList{u"polling"_s, second, u"polling"_s}));
}

void tst_InteropNodeServer::addTrailingSlashChoosesTheRequestPath_data()
{
    QTest::addColumn<bool>("addTrailingSlash");
    QTest::addColumn<QString>("optionPath");   // empty: the default
    QTest::addColumn<QString>("path");
    QTest::newRow("addTrailingSlash true (default)") << true << QString() << u"/socket.io/"_s;
    QTest::newRow("addTrailingSlash false") << false << QString() << u"/socket.io"_s;
    // only one '/' is removed (path.replace(/\/$/, "")): the requests go to "/socket.io/"
    QTest::newRow("addTrailingSlash false, path ending in //") << false << u"/socket.io//"_s << u"/socket.io/"_s;
}

void tst_InteropNodeServer::addTrailingSlashChoosesTheRequestPath()
{
    // engine.io-client: path = path without its trailing '/' + (addTrailingSlash ? "/" : "");
    // a server created with addTrailingSlash: false answers both forms
    QFETCH(bool, addTrailingSlash);
    QFETCH(QString, optionPath);
    QFETCH(QString, path);
    QCOMPARE(ClientOptions().addTrailingSlash, true);
    NodeProcess node;
    const quint16 port = startOptionsServer(node, {u"--no-trailing-slash"_s});
    QVERIFY(port);
    ClientOptions options;
    options.addTrailingSlash = addTrailingSlash;
    if (!optionPath.isEmpty())
        options.path = optionPath;
    Client client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)), options);
    if (optionPath.isEmpty())
        QCOMPARE(client.options().path, u"/socket.io/"_s);
    ClientSocket *socket = client.socket();
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);
    QCOMPARE(client.engine()->options().path, path);
    int requests = 0;
    for (const QJsonObject &line : node.lines()) {
        const QString event = line.value(u"event"_s).toString();
        if (event != u"request"_s && event != u"upgrade"_s)
            continue;
        ++requests;
        QCOMPARE(line.value(u"path"_s).toString(), path);
    }
    QVERIFY(requests >= 3);   // handshake, CONNECT POST, upgrade
}

void tst_InteropNodeServer::connectErrorDetailsCarryTheHttpStatus()
{
    // socket.io-client: a handshake refused by allowRequest is connect_error TransportError
    // "xhr poll error" whose description is the XHR's status, 403 (over WebSocket "websocket
    // error" with an event object as description)
    NodeProcess node;
    const quint16 port = startOptionsServer(node, {u"--refuse"_s});
    QVERIFY(port);
    const QUrl url(u"http://127.0.0.1:%1"_s.arg(port));
    ClientOptions options;
    options.reconnection = false;
    options.transports = {u"polling"_s};
    Client client(url, options);
    ClientSocket *socket = client.socket();
    QCOMPARE(socket->lastConnectError().message, QString());
    SocketIo::ConnectErrorDetails inSlot;
    QObject::connect(socket, &ClientSocket::connectError, socket, [&] { inSlot = socket->lastConnectError(); });
    QSignalSpy errors(&client, &Client::errorOccurred);
    QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, 10000);
    QCOMPARE(errors.first().at(0).toString(), u"xhr poll error"_s);
    QCOMPARE(client.lastError().message, u"xhr poll error"_s);
    QVERIFY(client.lastError().transportError);
    QCOMPARE(client.lastError().httpStatus, 403);
    QVERIFY2(client.lastError().description.contains(u"403"_s), qPrintable(client.lastError().description));
    QCOMPARE(inSlot.message, u"xhr poll error"_s);
    QVERIFY(inSlot.transportError);
    QCOMPARE(inSlot.httpStatus, 403);
    QCOMPARE(inSlot.data, QCborValue());

    options.transports = {u"websocket"_s};
    Client wsClient(url, options);
    ClientSocket *wsSocket = wsClient.socket();
    QSignalSpy wsErrors(wsSocket, &ClientSocket::connectError);
    QTRY_COMPARE_WITH_TIMEOUT(wsErrors.size(), 1, 10000);
    QCOMPARE(wsErrors.first().at(0).toString(), u"websocket error"_s);
    QVERIFY(wsSocket->lastConnectError().transportError);
    QCOMPARE(wsSocket->lastConnectError().httpStatus, 0);
    QVERIFY(!wsSocket->lastConnectError().description.isEmpty());

    // a connect timeout is a plain Error("timeout")
    ClientOptions timeoutOptions;
    timeoutOptions.reconnection = false;
    timeoutOptions.timeout = 0ms;
    Client timedOut(url, timeoutOptions);
    QSignalSpy timeoutErrors(&timedOut, &Client::errorOccurred);
    QTRY_COMPARE(timeoutErrors.size(), 1);
    QCOMPARE(timedOut.lastError().message, u"timeout"_s);
    QVERIFY(!timedOut.lastError().transportError);
    QCOMPARE(timedOut.lastError().httpStatus, 0);
}

QTEST_GUILESS_MAIN(tst_InteropNodeServer)
#include "tst_interop_nodeserver.moc"
