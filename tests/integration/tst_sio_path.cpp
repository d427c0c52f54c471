// Regression tests for the Socket.IO path changes of docs/benchmarks.md ("Echo and handshake
// path"): events dispatched without building middleware callbacks, arguments moved out of the
// decoded packet, the handshake built on first use, one server-wide connect-timeout timer, and
// clients kept in a hash. Checked on the wire with the raw client.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/handshake.h>
#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/message.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Message;
using SocketIo::Namespace;
using SocketIo::Server;
using SocketIo::Socket;
using Transport = SioRawClient::Transport;

class tst_SioPath : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }

    void echoedArgumentsAreUnchanged_data();
    void echoedArgumentsAreUnchanged();
    void pipelinedAcksKeepTheirOrder();
    void ackOfOtherArgumentsIsEncoded();
    void serverEmitOfNonAsciiText_data();
    void serverEmitOfNonAsciiText();
    void binaryEchoInCustomNamespace();
    void argumentsSurviveLaterHandlersAndMessageCopies();
    void middlewareAddedLaterStillRuns();
    void handshakeIsTheConnectOne();
    void handshakeOutlivesTheConnection();
    void connectTimeoutForSeveralClients();
    void leavingTheOnlyNamespaceDoesNotStartTheTimeoutAgain();
    void serverDestructionDisconnectsEveryClientInOrder();
    void ownRoomSharedUntilChanged();
    void roomMembersAcrossTheCompactThreshold();
    void socketRoomsAcrossTheCompactThreshold();
    void handlersKeepRegistrationOrder();
    void namespacesOfOneConnection();

private:
    static Socket *connectSocket(Server *io, SioRawClient &client, const QString &nsp = u"/"_s,
                                 const QByteArray &auth = QByteArray());
};

Socket *tst_SioPath::connectSocket(Server *io, SioRawClient &client, const QString &nsp, const QByteArray &auth)
{
    if (client.sid().isEmpty() && !client.open(io->serverPort()))
        return nullptr;
    QSignalSpy spy(io->of(nsp), &Namespace::connection);
    if (!client.connectNamespace(nsp, auth).startsWith("40"))
        return nullptr;
    if (spy.isEmpty() && !spy.wait(2000))
        return nullptr;
    return spy.at(0).at(0).value<Socket *>();
}

void tst_SioPath::echoedArgumentsAreUnchanged_data()
{
    QTest::addColumn<QByteArray>("args");
    QTest::addColumn<QByteArray>("acked");
    // beyond 2^53 a number is a double, written as JavaScript writes it (as Node would echo it)
    QTest::newRow("bench payload") << QByteArray(R"({"t":1764184000123456789,"seq":7,"pad":"xxxxxxxxxxxx"})")
                                   << QByteArray(R"({"t":1764184000123456800,"seq":7,"pad":"xxxxxxxxxxxx"})");
    QTest::newRow("key order, nesting, several arguments")
            << QByteArray(R"({"z":1,"a":{"y":[1,2,{"q":null}],"b":true}},"two",3.25,[])")
            << QByteArray(R"({"z":1,"a":{"y":[1,2,{"q":null}],"b":true}},"two",3.25,[])");
    QTest::newRow("duplicate keys as JavaScript") << QByteArray(R"({"a":1,"b":2,"a":3})")
                                                  << QByteArray(R"({"a":3,"b":2})");
    QTest::newRow("escapes and unicode") << QByteArray(R"("tab\there","\u00e9\u20ac\ud83d\ude00","quote\"")")
                                         << QByteArray("\"tab\\there\",\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"quote\\\"\"");
    QTest::newRow("numbers as JavaScript writes them") << QByteArray("1e21,-0,0.1,9007199254740993,1E2")
                                                       << QByteArray("1e+21,0,0.1,9007199254740992,100");
    QTest::newRow("no arguments") << QByteArray() << QByteArray();
    // text the encoder writes as it is (the bench's payload among them)
    QTest::newRow("bench payload, safe integers") << QByteArray(R"({"t":1764184000123,"seq":7,"pad":"xxxxxxxxxxxx"})")
                                                  << QByteArray(R"({"t":1764184000123,"seq":7,"pad":"xxxxxxxxxxxx"})");
    QTest::newRow("raw non-ASCII, DEL, U+2028")
            << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\x7f\",\"\xe2\x80\xa8\",{\"\xc3\xa9\":-5}")
            << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\x7f\",\"\xe2\x80\xa8\",{\"\xc3\xa9\":-5}");
    QTest::newRow("empty containers, literals") << QByteArray(R"([],{},[[]],{"a":{}},true,false,null)")
                                                << QByteArray(R"([],{},[[]],{"a":{}},true,false,null)");
    QTest::newRow("whitespace dropped") << QByteArray(R"( {"a" : [1, 2]} , 3 )") << QByteArray(R"({"a":[1,2]},3)");
}

void tst_SioPath::echoedArgumentsAreUnchanged()
{
    QFETCH(QByteArray, args);
    QFETCH(QByteArray, acked);
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    socket->on(u"echo"_s, socket, [](const Message &m) { m.ack(m.args()); });
    client.send("421[\"echo\"" + (args.isEmpty() ? QByteArray() : "," + args) + "]");
    QCOMPARE(client.waitForText(), "431[" + acked + "]");
}

void tst_SioPath::pipelinedAcksKeepTheirOrder()
{
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    QList<qint64> seen;
    socket->on(u"echo"_s, socket, [&seen](const Message &m) {
        seen.append(m.ackId());
        m.ack(m.args());
    });
    constexpr int count = 200;
    for (int i = 0; i < count; ++i)
        client.send("42" + QByteArray::number(i) + "[\"echo\",{\"i\":" + QByteArray::number(i) + "}]");
    for (int i = 0; i < count; ++i)
        QCOMPARE(client.waitForText(), "43" + QByteArray::number(i) + "[{\"i\":" + QByteArray::number(i) + "}]");
    QCOMPARE(seen.size(), count);
    for (int i = 0; i < count; ++i)
        QCOMPARE(seen.at(i), qint64(i));
}

void tst_SioPath::ackOfOtherArgumentsIsEncoded()
{
    // An ack of anything other than the arguments as received (a changed copy, an equal array
    // built anew, nothing) is encoded from that array, also from a custom namespace, later from
    // a kept copy, and with a packet middleware in the way.
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    QList<Message> kept;
    QList<bool> results;
    socket->on(u"changed"_s, socket, [&results](const Message &m) {
        QCborArray args = m.args();
        args[0] = u"new"_s;
        results.append(m.ack(args));
        results.append(m.ack(m.args()));   // a second ack is refused
    });
    socket->on(u"rebuilt"_s, socket, [&results](const Message &m) {
        results.append(m.ack(QCborArray{QCborMap{{u"b"_s, 1}, {u"a"_s, 2}}}));
    });
    socket->on(u"nothing"_s, socket, [&results](const Message &m) { results.append(m.ack()); });
    socket->on(u"appended"_s, socket, [&results](const Message &m) {
        QCborArray args = m.args();
        args.append(3);
        results.append(m.ack(args));
    });
    socket->on(u"later"_s, socket, [&kept](const Message &m) { kept.append(m); });

    client.send(R"(421["changed","old",{"k":1}])");
    QCOMPARE(client.waitForText(), QByteArray(R"(431["new",{"k":1}])"));
    client.send(R"(422["rebuilt",{"x":1}])");
    QCOMPARE(client.waitForText(), QByteArray(R"(432[{"b":1,"a":2}])"));
    client.send(R"(423["nothing",{"x":1}])");
    QCOMPARE(client.waitForText(), QByteArray("433[]"));
    client.send(R"(424["appended",1,2])");
    QCOMPARE(client.waitForText(), QByteArray("434[1,2,3]"));
    client.send(R"(425["later",{"z":0,"a":[1]}])");
    QTRY_COMPARE(kept.size(), 1);
    QVERIFY(kept.at(0).ack(kept.at(0).args()));
    QCOMPARE(client.waitForText(), QByteArray(R"(435[{"z":0,"a":[1]}])"));
    QCOMPARE(results, (QList<bool>{true, false, true, true, true}));

    // custom namespace, with a packet middleware
    Socket *chat = connectSocket(io.get(), client, u"/chat"_s);
    QVERIFY(chat);
    int middlewareRuns = 0;
    chat->use([&middlewareRuns](const Message &, const SocketIo::Next &next) {
        ++middlewareRuns;
        next();
    });
    chat->on(u"echo"_s, chat, [](const Message &m) { m.ack(m.args()); });
    client.send(R"(42/chat,6["echo",{"n":"\u00e9"},1])");   // escape: encoded from the array
    QCOMPARE(client.waitForText(), QByteArray("43/chat,6[{\"n\":\"\xc3\xa9\"},1]"));
    client.send(R"(42/chat,7["echo",{"n":"x"},1])");
    QCOMPARE(client.waitForText(), QByteArray(R"(43/chat,7[{"n":"x"},1])"));
    QCOMPARE(middlewareRuns, 2);
}

void tst_SioPath::serverEmitOfNonAsciiText_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("websocket") << Transport::WebSocket;
    QTest::newRow("polling") << Transport::Polling;
}

void tst_SioPath::serverEmitOfNonAsciiText()
{
    // 2-, 3- and 4-byte UTF-8, a record separator (escaped, so it cannot split a polling
    // payload) and an object's key order, written by the server and answered by the client
    QFETCH(Transport, transport);
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client(transport);
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    const QCborArray args{QCborMap{{u"z"_s, 1}, {u"a"_s, 2}, {u"m"_s, QCborArray{u"x"_s, true}}},
                          u"\u00e9\u20ac\U0001F600 \u001e"_s};
    SocketIo::AckReply *reply = socket->emitWithAck(u"greet"_s, args, 5s);
    QSignalSpy finished(reply, &SocketIo::AckReply::finished);
    QCOMPARE(client.waitForText(),
             QByteArray("420[\"greet\",{\"z\":1,\"a\":2,\"m\":[\"x\",true]},\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\u001e\"]"));
    client.send("430[{\"z\":1,\"a\":2,\"m\":[\"x\",true]},\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\u001e\"]");
    QVERIFY(finished.size() == 1 || finished.wait(3000));
    QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
    QCOMPARE(reply->args(), args);
}

void tst_SioPath::binaryEchoInCustomNamespace()
{
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client, u"/bin"_s);
    QVERIFY(socket);
    socket->on(u"echo"_s, socket, [](const Message &m) { m.ack(m.args()); });
    client.send(R"(452-/bin,5["echo",{"k":[{"_placeholder":true,"num":1}],"j":{"_placeholder":true,"num":0}},"s"])");
    client.sendBinary(QByteArray("\x00\x01", 2));
    client.sendBinary(QByteArray("\xff", 1));
    // re-numbered depth first, as socket.io-parser does
    QCOMPARE(client.waitForText(),
             QByteArray(R"(462-/bin,5[{"k":[{"_placeholder":true,"num":0}],"j":{"_placeholder":true,"num":1}},"s"])"));
    QCOMPARE(client.waitForBinary(), QByteArray("\xff", 1));
    QCOMPARE(client.waitForBinary(), QByteArray("\x00\x01", 2));
}

void tst_SioPath::argumentsSurviveLaterHandlersAndMessageCopies()
{
    // the arguments are moved out of the decoded packet: every handler, and copies of the
    // message kept for later, must still see all of them
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    QList<Message> kept;
    QList<QCborArray> seen;
    QStringList events;
    QObject::connect(socket, &Socket::eventReceived, socket, [&events](const Message &m) { events.append(m.event()); });
    socket->on(u"ev"_s, socket, [&](const Message &m) {
        kept.append(m);
        QCborArray args = m.args();
        args.append(u"changed by the first handler"_s);   // a copy: must not leak into the message
        seen.append(args);
    });
    socket->on(u"ev"_s, socket, [&](const Message &m) { seen.append(m.args()); });
    client.send(R"(42["ev",{"a":1},"b",[2]])");
    client.send(R"(42[7,"numeric name"])");
    QTRY_COMPARE(seen.size(), 2);
    const QCborArray expected{QCborMap{{u"a"_s, 1}}, u"b"_s, QCborArray{2}};
    QCOMPARE(seen.at(1), expected);
    QCOMPARE(seen.at(0).size(), 4);
    QCOMPARE(kept.at(0).args(), expected);
    QCOMPARE(kept.at(0).event(), u"ev"_s);
    QTRY_COMPARE(events, (QStringList{u"ev"_s, u"7"_s}));
}

void tst_SioPath::middlewareAddedLaterStillRuns()
{
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    QStringList order;
    socket->on(u"ev"_s, socket, [&order](const Message &m) {
        order.append(u"handler "_s + m.args().at(0).toString());
        m.ack({u"ok"_s});
    });
    client.send(R"(421["ev","first"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(431["ok"])"));
    socket->use([&order](const Message &m, const SocketIo::Next &next) {
        order.append(u"middleware "_s + m.args().at(0).toString());
        if (m.args().at(0).toString() == "refused"_L1)
            next(u"no"_s);
        else
            next();
    });
    client.send(R"(422["ev","second"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(432["ok"])"));
    client.send(R"(423["ev","refused"])");
    client.send(R"(424["ev","third"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(434["ok"])"));   // no ack for the refused one
    QCOMPARE(order, (QStringList{u"handler first"_s, u"middleware second"_s, u"handler second"_s,
                                 u"middleware refused"_s, u"middleware third"_s, u"handler third"_s}));
}

void tst_SioPath::handshakeIsTheConnectOne()
{
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client(Transport::Polling);
    QVERIFY(client.open(io->serverPort(), u"/socket.io/"_s, u"foo=bar&foo=baz&x=1"_s));
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    Socket *socket = connectSocket(io.get(), client, u"/"_s, R"({"token":"abc","n":[1,2]})");
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(socket);
    // read later: still the time of the CONNECT, not of the first read
    QTest::qWait(1100);
    const SocketIo::Handshake h = socket->handshake();
    QVERIFY2(h.issued >= before && h.issued <= after,
             qPrintable(u"%1 not in [%2, %3]"_s.arg(h.issued).arg(before).arg(after)));
    QCOMPARE(h.time, SocketIo::Handshake::jsDateString(QDateTime::fromMSecsSinceEpoch(h.issued, Qt::UTC)));
    QCOMPARE(h.auth, (QCborMap{{u"token"_s, u"abc"_s}, {u"n"_s, QCborArray{1, 2}}}));
    // engine.io 6's query (Object.fromEntries of the URL's search params): the last value wins
    QCOMPARE(h.query.value(u"foo"_s).toString(), u"baz"_s);
    QCOMPARE(h.query.value(u"x"_s).toString(), u"1"_s);
    QVERIFY(h.headers.contains(u"host"_s));
    QVERIFY(h.address.contains("127.0.0.1"_L1));
    // the same value on every read
    QCOMPARE(socket->handshake(), h);
}

void tst_SioPath::handshakeOutlivesTheConnection()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto client = std::make_unique<SioRawClient>();
    Socket *socket = connectSocket(io.get(), *client, u"/"_s, R"({"who":"me"})");
    QVERIFY(socket);
    SocketIo::Handshake seen;
    QObject::connect(socket, &Socket::disconnected, socket, [socket, &seen] { seen = socket->handshake(); });
    client.reset();   // the peer goes away: the session and its request are gone
    QTRY_COMPARE(seen.auth.value(u"who"_s).toString(), u"me"_s);
    QVERIFY(seen.headers.contains(u"host"_s));
    QVERIFY(seen.issued > 0);
}

void tst_SioPath::connectTimeoutForSeveralClients()
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectTimeout = 300ms;
    auto io = sioStartServer(options);
    QVERIFY(io);
    QElapsedTimer clock;
    clock.start();
    SioRawClient idle1;
    QVERIFY(idle1.open(io->serverPort()));
    SioRawClient joined;
    QVERIFY(connectSocket(io.get(), joined));
    QTest::qWait(150);
    SioRawClient idle2;   // a later deadline: the server's single timer must be armed again
    QVERIFY(idle2.open(io->serverPort()));
    const qint64 idle2Opened = clock.elapsed();
    QTRY_VERIFY_WITH_TIMEOUT(idle1.isClosed(), 3000);
    QVERIFY(!idle2.isClosed() || clock.elapsed() - idle2Opened >= 250);
    QTRY_VERIFY_WITH_TIMEOUT(idle2.isClosed(), 3000);
    QVERIFY(clock.elapsed() - idle2Opened >= 250);
    // the client that joined stays, well past both deadlines
    QTRY_VERIFY_WITH_TIMEOUT(joined.pingCount() >= 3, 5000);
    QVERIFY(!joined.isClosed());
}

void tst_SioPath::leavingTheOnlyNamespaceDoesNotStartTheTimeoutAgain()
{
    // as before: the connect timeout ends when a namespace is joined, even if it is left again
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectTimeout = 200ms;
    auto io = sioStartServer(options);
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    QSignalSpy left(socket, &Socket::disconnected);
    client.send("41");
    QVERIFY(left.wait(2000));
    QTRY_VERIFY_WITH_TIMEOUT(client.pingCount() >= 3, 5000);
    QVERIFY(!client.isClosed());
    // and it can join again
    QVERIFY(client.connectNamespace().startsWith("40"));
}

void tst_SioPath::serverDestructionDisconnectsEveryClientInOrder()
{
    auto io = sioStartServer();
    QVERIFY(io);
    std::vector<std::unique_ptr<SioRawClient>> clients;
    QStringList connected;
    QStringList disconnected;
    QList<Socket *> sockets;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<SioRawClient>());
        Socket *socket = connectSocket(io.get(), *clients.back());
        QVERIFY(socket);
        connected.append(socket->id());
        sockets.append(socket);
        const QString id = socket->id();
        QObject::connect(socket, &Socket::disconnected, socket, [&disconnected, id] { disconnected.append(id); });
    }
    // one client leaves first: it must not be disconnected again
    QSignalSpy gone(sockets.at(1), &Socket::disconnected);
    clients.at(1).reset();
    QVERIFY(gone.wait(2000));
    io.reset();
    QCOMPARE(disconnected.size(), 5);
    QCOMPARE(disconnected.at(0), connected.at(1));
    QCOMPARE(disconnected.mid(1), (QStringList{connected.at(0), connected.at(2), connected.at(3), connected.at(4)}));
}

void tst_SioPath::ownRoomSharedUntilChanged()
{
    // the own room's member set and the socket's room set start as one shared QSet: every view
    // and signal must be as if they were two, also after either changes
    QStringList signalLog;   // before the server: its sockets leave (and log) when it goes
    auto io = sioStartServer();
    QVERIFY(io);
    auto *adapter = qobject_cast<SocketIo::InMemoryAdapter *>(io->of(u"/"_s)->adapter());
    QVERIFY(adapter);
    connect(adapter, &SocketIo::InMemoryAdapter::roomCreated, this, [&](const QString &room) {
        // the room exists, still empty, when it is reported created
        signalLog.append(u"created "_s + room + u" members "_s + QString::number(adapter->rooms().value(room).size()));
    });
    connect(adapter, &SocketIo::InMemoryAdapter::roomJoined, this, [&](const QString &room, const QString &id) {
        signalLog.append(u"joined "_s + room + u" "_s + id);
    });
    connect(adapter, &SocketIo::InMemoryAdapter::roomLeft, this, [&](const QString &room, const QString &id) {
        signalLog.append(u"left "_s + room + u" "_s + id);
    });
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    const QString id = socket->id();
    QCOMPARE(signalLog, (QStringList{u"created "_s + id + u" members 0"_s, u"joined "_s + id + u" "_s + id}));
    QCOMPARE(adapter->rooms().value(id), QSet<QString>{id});
    QCOMPARE(adapter->sids().value(id), QSet<QString>{id});
    QCOMPARE(socket->rooms(), QSet<QString>{id});

    socket->join(u"r1"_s);   // changes the socket's room set only
    QCOMPARE(socket->rooms(), (QSet<QString>{id, u"r1"_s}));
    QCOMPARE(adapter->rooms().value(id), QSet<QString>{id});
    QCOMPARE(adapter->rooms().value(u"r1"_s), QSet<QString>{id});

    // another socket joins the first one's own room: changes the member set only
    SioRawClient other;
    Socket *second = connectSocket(io.get(), other);
    QVERIFY(second);
    second->join(id);
    QCOMPARE(adapter->rooms().value(id), (QSet<QString>{id, second->id()}));
    QCOMPARE(socket->rooms(), (QSet<QString>{id, u"r1"_s}));
    QCOMPARE(second->rooms(), (QSet<QString>{second->id(), id}));

    // a broadcast to the first socket's own room reaches both members
    io->to(id).emitEvent(u"hi"_s);
    QCOMPARE(client.waitForText(), QByteArray(R"(42["hi"])"));
    QCOMPARE(other.waitForText(), QByteArray(R"(42["hi"])"));

    socket->leave(id);
    QCOMPARE(adapter->rooms().value(id), QSet<QString>{second->id()});
    QCOMPARE(socket->rooms(), QSet<QString>{u"r1"_s});
    QVERIFY(signalLog.contains(u"left "_s + id + u" "_s + id));
}

void tst_SioPath::roomMembersAcrossTheCompactThreshold()
{
    // a room's members are a list up to 16 and a hash above, back to a list at 8: views, signals,
    // broadcasts and leaving must not depend on the form, through join/leave churn both ways
    auto io = sioStartServer();
    QVERIFY(io);
    auto *adapter = qobject_cast<SocketIo::InMemoryAdapter *>(io->of(u"/"_s)->adapter());
    QVERIFY(adapter);
    int joined = 0, left = 0, created = 0, deleted = 0;
    connect(adapter, &SocketIo::Adapter::roomJoined, this, [&](const QString &room) { joined += room == u"big"_s; });
    connect(adapter, &SocketIo::Adapter::roomLeft, this, [&](const QString &room) { left += room == u"big"_s; });
    connect(adapter, &SocketIo::Adapter::roomCreated, this, [&](const QString &room) { created += room == u"big"_s; });
    connect(adapter, &SocketIo::Adapter::roomDeleted, this, [&](const QString &room) { deleted += room == u"big"_s; });
    constexpr int count = 24;
    std::vector<std::unique_ptr<SioRawClient>> clients;
    QList<Socket *> sockets;
    for (int i = 0; i < count; ++i) {
        clients.push_back(std::make_unique<SioRawClient>());
        Socket *socket = connectSocket(io.get(), *clients.back());
        QVERIFY(socket);
        sockets.append(socket);
    }
    QSet<QString> members;
    const auto checkRoom = [&] {
        QCOMPARE(adapter->rooms().value(u"big"_s), members);
        QCOMPARE(adapter->hasRoom(u"big"_s), !members.isEmpty());
        QCOMPARE(adapter->roomNames().contains(u"big"_s), !members.isEmpty());
        QCOMPARE(adapter->sockets({u"big"_s}), members);
        for (Socket *socket : std::as_const(sockets)) {
            QCOMPARE(socket->rooms().contains(u"big"_s), members.contains(socket->id()));
            QVERIFY(socket->rooms().contains(socket->id()));   // the own room stays
        }
    };
    const auto broadcastReachesMembers = [&](int n) {
        io->to(u"big"_s).emitEvent(u"n"_s, {n});
        const QByteArray expected = "42[\"n\"," + QByteArray::number(n) + "]";
        for (int i = 0; i < count; ++i) {
            if (members.contains(sockets.at(i)->id()))
                QCOMPARE(clients.at(i)->waitForText(), expected);
        }
    };
    // up one by one (0 .. 24: the list turns into a hash after 16)
    for (int i = 0; i < count; ++i) {
        sockets.at(i)->join(u"big"_s);
        sockets.at(i)->join(u"big"_s);   // twice: no second member, no second signal
        members.insert(sockets.at(i)->id());
        checkRoom();
    }
    QCOMPARE(joined, count);
    QCOMPARE(created, 1);
    broadcastReachesMembers(1);
    // down to 5 (the hash turns back into a list at 8)
    for (int i = 0; i < count - 5; ++i) {
        sockets.at(i)->leave(u"big"_s);
        members.remove(sockets.at(i)->id());
        checkRoom();
    }
    broadcastReachesMembers(2);
    // churn around the two limits
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < count - 5; ++i) {
            sockets.at(i)->join(u"big"_s);
            members.insert(sockets.at(i)->id());
        }
        checkRoom();
        broadcastReachesMembers(10 + round);
        for (int i = 2; i < count; i += 2) {
            sockets.at(i)->leave(u"big"_s);
            members.remove(sockets.at(i)->id());
        }
        checkRoom();
        broadcastReachesMembers(20 + round);
        for (int i = 0; i < count; ++i) {
            sockets.at(i)->leave(u"big"_s);
            members.remove(sockets.at(i)->id());
            if (i % 5 == 0)
                checkRoom();
        }
        checkRoom();
    }
    QCOMPARE(joined, left);
    QCOMPARE(deleted, 3);   // emptied once per round (the first way down stopped at 5)
    QCOMPARE(created, 3);   // at the first join, then at the start of rounds 2 and 3
    for (int i = 0; i < count; ++i)
        QCOMPARE(clients.at(i)->pendingFrames(), 0);   // nobody got a broadcast twice or after leaving
}

void tst_SioPath::socketRoomsAcrossTheCompactThreshold()
{
    // a socket's own room set also switches form: rooms(), sids(), leaving and disconnection
    auto io = sioStartServer();
    QVERIFY(io);
    auto *adapter = qobject_cast<SocketIo::InMemoryAdapter *>(io->of(u"/"_s)->adapter());
    QVERIFY(adapter);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    const QString id = socket->id();
    QVERIFY(adapter->hasSocket(id));
    QSet<QString> rooms{id};
    QStringList names;
    for (int i = 0; i < 30; ++i)
        names.append(u"room"_s + QString::number(i));
    socket->join(names.mid(0, 10));
    rooms.unite(QSet<QString>(names.begin(), names.begin() + 10));
    QCOMPARE(socket->rooms(), rooms);
    socket->join(names.mid(10));
    rooms.unite(QSet<QString>(names.begin(), names.end()));
    QCOMPARE(socket->rooms(), rooms);
    QCOMPARE(adapter->sids().value(id), rooms);
    for (int i = 0; i < 25; ++i) {
        socket->leave(names.at(i));
        rooms.remove(names.at(i));
        QCOMPARE(socket->rooms(), rooms);
        QVERIFY(!adapter->hasRoom(names.at(i)));
    }
    io->to(names.at(27)).emitEvent(u"r"_s);
    QCOMPARE(client.waitForText(), QByteArray(R"(42["r"])"));
    QSignalSpy deleted(adapter, &SocketIo::Adapter::roomDeleted);
    QSignalSpy gone(socket, &Socket::disconnected);
    client.close();
    QVERIFY(gone.wait(2000));
    QCOMPARE(deleted.size(), 6);   // own room + 5 left
    QVERIFY(!adapter->hasSocket(id));
    QVERIFY(!adapter->hasRoom(id));
    QVERIFY(adapter->rooms().isEmpty());
    QVERIFY(adapter->sids().isEmpty());
    QVERIFY(adapter->roomNames().isEmpty());
}

void tst_SioPath::handlersKeepRegistrationOrder()
{
    // on() handlers of all events live in one list: per event in registration order, off() for
    // one event only, handlers of a dead context pruned without disturbing the others
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client;
    Socket *socket = connectSocket(io.get(), client);
    QVERIFY(socket);
    QStringList calls;
    auto context = std::make_unique<QObject>();
    socket->on(u"a"_s, socket, [&calls](const Message &) { calls.append(u"a1"_s); });
    socket->on(u"b"_s, socket, [&calls](const Message &) { calls.append(u"b1"_s); });
    socket->on(u"a"_s, context.get(), [&calls](const Message &) { calls.append(u"a2"_s); });
    socket->on(u"ab"_s, socket, [&calls](const Message &) { calls.append(u"ab"_s); });
    socket->on(u"a"_s, socket, [&calls, socket](const Message &m) {
        calls.append(u"a3"_s);
        // a handler that adds a handler: runs from the next event on
        if (m.args().at(0).toInteger() == 1)
            socket->on(u"a"_s, socket, [&calls](const Message &) { calls.append(u"a4"_s); });
    });
    socket->on(u"b"_s, socket, [&calls](const Message &m) { calls.append(u"b2:"_s + m.args().at(0).toString()); });
    const auto roundTrip = [&client] {
        client.send(R"(42["sync"])");
        client.send(R"(421["ping"])");
        return client.waitForText();
    };
    socket->on(u"ping"_s, socket, [](const Message &m) { m.ack({}); });
    client.send(R"(42["a",1])");
    client.send(R"(42["b","x"])");
    client.send(R"(42["ab"])");
    QCOMPARE(roundTrip(), QByteArray("431[]"));
    QCOMPARE(calls, (QStringList{u"a1"_s, u"a2"_s, u"a3"_s, u"b1"_s, u"b2:x"_s, u"ab"_s}));
    calls.clear();
    context.reset();   // a2's context is gone
    socket->off(u"b"_s);
    client.send(R"(42["a",2])");
    client.send(R"(42["b","y"])");
    QCOMPARE(roundTrip(), QByteArray("431[]"));
    QCOMPARE(calls, (QStringList{u"a1"_s, u"a3"_s, u"a4"_s}));
    calls.clear();
    socket->off(u"a"_s);
    socket->on(u"b"_s, socket, [&calls](const Message &) { calls.append(u"b3"_s); });
    client.send(R"(42["a",3])");
    client.send(R"(42["b","z"])");
    client.send(R"(42["ab"])");
    QCOMPARE(roundTrip(), QByteArray("431[]"));
    QCOMPARE(calls, (QStringList{u"b3"_s, u"ab"_s}));
}

void tst_SioPath::namespacesOfOneConnection()
{
    // a connection's namespaces are a small array: routing, the CONNECT reply of each, a
    // duplicate CONNECT, leaving one namespace, then a packet for it
    auto io = sioStartServer();
    QVERIFY(io);
    io->of(u"/chat"_s);
    io->of(u"/news"_s);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QList<Socket *> sockets;
    for (const QString &nsp : {u"/"_s, u"/chat"_s, u"/news"_s}) {
        QSignalSpy spy(io->of(nsp), &Namespace::connection);
        const QByteArray reply = client.connectNamespace(nsp);
        const QByteArray prefix = nsp == u"/"_s ? QByteArray("40{\"sid\":\"") : "40" + nsp.toUtf8() + ",{\"sid\":\"";
        QVERIFY2(reply.startsWith(prefix) && reply.endsWith("\"}"), reply.constData());
        QVERIFY(spy.size() == 1 || spy.wait(2000));
        Socket *socket = spy.at(0).at(0).value<Socket *>();
        QCOMPARE(reply, prefix + socket->id().toLatin1() + "\"}");
        socket->on(u"who"_s, socket, [nsp](const Message &m) { m.ack({nsp}); });
        sockets.append(socket);
    }
    client.send(R"(42/news,1["who"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(43/news,1["/news"])"));
    client.send(R"(422["who"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(432["/"])"));
    client.send(R"(42/chat,3["who"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(43/chat,3["/chat"])"));
    // leave /chat: the others stay
    QSignalSpy chatGone(sockets.at(1), &Socket::disconnected);
    client.send("41/chat,");
    QVERIFY(chatGone.wait(2000));
    client.send(R"(42/news,4["who"])");
    QCOMPARE(client.waitForText(), QByteArray(R"(43/news,4["/news"])"));
    // a packet for the namespace left is a violation: the connection closes, both others leave
    QSignalSpy mainGone(sockets.at(0), &Socket::disconnected);
    QSignalSpy newsGone(sockets.at(2), &Socket::disconnected);
    client.send(R"(42/chat,5["who"])");
    QVERIFY(client.waitForClosed(2000));
    QVERIFY(mainGone.size() == 1 || mainGone.wait(2000));
    QVERIFY(newsGone.size() == 1 || newsGone.wait(2000));
}

QTEST_GUILESS_MAIN(tst_SioPath)
#include "tst_sio_path.moc"
