// Connection state recovery on the server (protocol.md 3), on the exact wire: the pid in the
// CONNECT reply, offsets on logged events only, recovery of id, rooms, data and missed packets
// (written before the CONNECT reply), the cases that start a new session instead, the disconnect
// reasons that store a session, and middlewares skipped or run on recovery.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/sessionawareadapter.h>
#include <SocketIo/socket.h>

#include <QCborArray>
#include <QCborMap>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::DisconnectReason;
using SocketIo::Namespace;
using SocketIo::Next;
using SocketIo::Server;
using SocketIo::SessionAwareAdapter;
using SocketIo::Socket;
using Transport = SioRawClient::Transport;

Q_DECLARE_METATYPE(SioRawClient::Transport)

namespace {

SocketIo::ServerOptions recoveryOptions(std::chrono::milliseconds maxDisconnectionDuration = 2min,
                                        bool skipMiddlewares = true)
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectionStateRecovery.enabled = true;
    options.connectionStateRecovery.maxDisconnectionDuration = maxDisconnectionDuration;
    options.connectionStateRecovery.skipMiddlewares = skipMiddlewares;
    return options;
}

// "40{...}" → the object; empty when the text is not a main-namespace CONNECT reply
QJsonObject connectReply(const QByteArray &text)
{
    if (!text.startsWith("40{"))
        return {};
    return QJsonDocument::fromJson(text.mid(2)).object();
}

// "42[...]" → the array; empty when the text is not a main-namespace EVENT without ack id
QJsonArray eventArray(const QByteArray &text)
{
    if (!text.startsWith("42["))
        return {};
    return QJsonDocument::fromJson(text.mid(2)).array();
}

QByteArray recoveryAuth(const QString &pid, const QString &offset)
{
    return QJsonDocument(QJsonObject{{u"pid"_s, pid}, {u"offset"_s, offset}}).toJson(QJsonDocument::Compact);
}

SessionAwareAdapter *sessionAdapter(Server *io)
{
    return qobject_cast<SessionAwareAdapter *>(io->sockets()->adapter());
}

} // namespace

class tst_ServerRecovery : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }

    void defaultAdapterFollowsTheOption();
    void connectReplyCarriesPid_data();
    void connectReplyCarriesPid();
    void connectReplyWithoutRecoveryHasNoPid();
    void onlyLoggedEventsCarryAnOffset();
    void offsetsAreUniqueWithinAMillisecond();
    void recoversIdRoomsDataAndMissedEvents_data();
    void recoversIdRoomsDataAndMissedEvents();
    void restoredSessionIsUsedOnce();
    void unrecoverableConnectGetsNewSession_data();
    void unrecoverableConnectGetsNewSession();
    void onlyRecoverableReasonsStoreASession_data();
    void onlyRecoverableReasonsStoreASession();
    void middlewaresOnRecovery_data();
    void middlewaresOnRecovery();
    void givenBackSessionKeepsItsDisconnectionTime();

private:
    struct Connected
    {
        SioRawClient *client = nullptr;
        Socket *socket = nullptr;
        QString sid;
        QString pid;
    };
    // Opens a raw client and connects it to "/"; the server-side socket comes from the spy.
    bool connectClient(Server *io, Transport transport, Connected *out, const QByteArray &auth = QByteArray());
    // Emits "before" to everyone and returns the offset \a c received with it.
    QString receiveOneEvent(Server *io, const Connected &c);
    // Aborts \a c's transport and waits for the server to notice.
    bool cutConnection(Connected *c);
};

bool tst_ServerRecovery::connectClient(Server *io, Transport transport, Connected *out, const QByteArray &auth)
{
    QSignalSpy connections(io, &Server::connection);
    auto *client = new SioRawClient(transport, this);
    if (!client->open(io->serverPort()))
        return false;
    const QJsonObject reply = connectReply(client->connectNamespace(u"/"_s, auth));
    if (reply.isEmpty() || !QTest::qWaitFor([&] { return !connections.isEmpty(); }, 5000))
        return false;
    out->client = client;
    out->socket = connections.first().first().value<Socket *>();
    out->sid = reply.value(u"sid"_s).toString();
    out->pid = reply.value(u"pid"_s).toString();
    return out->socket && out->socket->id() == out->sid;
}

QString tst_ServerRecovery::receiveOneEvent(Server *io, const Connected &c)
{
    io->emitEvent(u"before"_s, {1});
    const QJsonArray event = eventArray(c.client->waitForText());
    if (event.size() != 3 || event.at(0).toString() != u"before"_s)
        return QString();
    return event.at(2).toString();
}

bool tst_ServerRecovery::cutConnection(Connected *c)
{
    QSignalSpy disconnected(c->socket, &Socket::disconnected);
    c->client->abort();
    return QTest::qWaitFor([&] { return !disconnected.isEmpty(); }, 5000);
}

void tst_ServerRecovery::defaultAdapterFollowsTheOption()
{
    Server plain(sioTestOptions());
    QVERIFY(!qobject_cast<SessionAwareAdapter *>(plain.sockets()->adapter()));
    QVERIFY(qobject_cast<SocketIo::InMemoryAdapter *>(plain.sockets()->adapter()));

    Server recovering(recoveryOptions(1500ms));
    auto *adapter = sessionAdapter(&recovering);
    QVERIFY(adapter);
    QCOMPARE(adapter->maxDisconnectionDuration(), 1500ms);
    QVERIFY(qobject_cast<SessionAwareAdapter *>(recovering.of(u"/chat"_s)->adapter()));

    // switching the option later re-creates the default adapter of namespaces without sockets
    plain.setOptions(recoveryOptions());
    QVERIFY(sessionAdapter(&plain));
}

void tst_ServerRecovery::connectReplyCarriesPid_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("websocket") << Transport::WebSocket;
    QTest::newRow("polling") << Transport::Polling;
}

void tst_ServerRecovery::connectReplyCarriesPid()
{
    QFETCH(Transport, transport);
    auto io = sioStartServer(recoveryOptions());
    QVERIFY(io);
    SioRawClient client(transport);
    QVERIFY(client.open(io->serverPort()));
    const QByteArray text = client.connectNamespace();
    const QJsonObject reply = connectReply(text);
    QCOMPARE(reply.keys(), (QStringList{u"pid"_s, u"sid"_s}));
    const QString sid = reply.value(u"sid"_s).toString();
    const QString pid = reply.value(u"pid"_s).toString();
    QCOMPARE(sid.size(), 20);
    QCOMPARE(pid.size(), 20);
    QVERIFY(sid != pid);
    // sid first, as socket.io writes it
    QCOMPARE(text, "40{\"sid\":\"" + sid.toLatin1() + "\",\"pid\":\"" + pid.toLatin1() + "\"}");
}

void tst_ServerRecovery::connectReplyWithoutRecoveryHasNoPid()
{
    auto io = sioStartServer();
    QVERIFY(io);
    Connected c;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &c));
    QVERIFY(c.pid.isEmpty());
    c.socket->emitEvent(u"plain"_s, {1});
    QCOMPARE(c.client->waitForText(), QByteArray(R"(42["plain",1])"));
    io->emitEvent(u"all"_s);
    QCOMPARE(c.client->waitForText(), QByteArray(R"(42["all"])"));
}

void tst_ServerRecovery::onlyLoggedEventsCarryAnOffset()
{
    auto io = sioStartServer(recoveryOptions());
    QVERIFY(io);
    Connected c;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &c));
    SessionAwareAdapter *adapter = sessionAdapter(io.get());
    QVERIFY(adapter);
    QSignalSpy sent(c.socket, &Socket::eventSent);

    // a plain emit on the socket goes through the adapter and gets an offset
    QVERIFY(c.socket->emitEvent(u"direct"_s, {1, u"a"_s}));
    QJsonArray event = eventArray(c.client->waitForText());
    QCOMPARE(event.size(), 4);
    QCOMPARE(event.at(0).toString(), u"direct"_s);
    QCOMPARE(event.at(2).toString(), u"a"_s);
    const QString first = event.at(3).toString();
    QVERIFY(!first.isEmpty());
    QCOMPARE(sent.size(), 1);
    QCOMPARE(sent.at(0).at(1).value<QCborArray>().last().toString(), first);   // onAnyOutgoing sees it too

    // so does a broadcast, with another offset
    io->emitEvent(u"broadcast"_s);
    event = eventArray(c.client->waitForText());
    QCOMPARE(event.size(), 2);
    const QString second = event.at(1).toString();
    QVERIFY(!second.isEmpty());
    QVERIFY(second != first);
    QCOMPARE(adapter->packetCount(), 2);

    // binary events keep their attachments and get the offset after them
    QVERIFY(c.socket->emitEvent(u"bin"_s, {QCborValue(QByteArray("\x01\x02", 2))}));
    const QByteArray binText = c.client->waitForText();
    QVERIFY2(binText.startsWith(R"(451-["bin",{"_placeholder":true,"num":0},")"), binText.constData());
    QCOMPARE(c.client->waitForBinary(), QByteArray("\x01\x02", 2));
    QCOMPARE(adapter->packetCount(), 3);

    // an emit with an ack id: no offset, not logged
    SocketIo::AckReply *reply = c.socket->emitWithAck(u"withAck"_s, {2}, 5s);
    reply->setParent(this);
    QCOMPARE(c.client->waitForText(), QByteArray(R"(420["withAck",2])"));
    // a broadcast with ack: no offset either
    SocketIo::AckReply *broadcastReply = io->sockets()->timeout(5s).emitWithAck(u"broadcastAck"_s, {});
    broadcastReply->setParent(this);
    QCOMPARE(c.client->waitForText(), QByteArray(R"(421["broadcastAck"])"));
    QCOMPARE(adapter->packetCount(), 3);

    // volatile: no offset, not logged (sent once the transport is idle, so it is not dropped)
    QVERIFY(QTest::qWaitFor([&] { return c.socket->conn() && c.socket->conn()->isWritable(); }, 5000));
    QVERIFY(c.socket->emitEvent(u"volatile"_s, {3}, Socket::Volatile));
    QCOMPARE(c.client->waitForText(), QByteArray(R"(42["volatile",3])"));
    io->sockets()->asVolatile().emitEvent(u"volatileBroadcast"_s);
    QCOMPARE(c.client->waitForText(), QByteArray(R"(42["volatileBroadcast"])"));
    QCOMPARE(adapter->packetCount(), 3);
}

void tst_ServerRecovery::offsetsAreUniqueWithinAMillisecond()
{
    auto io = sioStartServer(recoveryOptions());
    QVERIFY(io);
    Connected c;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &c));
    QSignalSpy sent(c.socket, &Socket::eventSent);
    constexpr int count = 500;   // several per millisecond
    for (int i = 0; i < count; ++i)
        io->emitEvent(u"n"_s, {i});
    QCOMPARE(sent.size(), count);
    QSet<QString> offsets;
    for (const QList<QVariant> &args : std::as_const(sent))
        offsets.insert(args.at(1).value<QCborArray>().last().toString());
    QCOMPARE(offsets.size(), count);
}

void tst_ServerRecovery::recoversIdRoomsDataAndMissedEvents_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("websocket") << Transport::WebSocket;
    QTest::newRow("polling") << Transport::Polling;
}

void tst_ServerRecovery::recoversIdRoomsDataAndMissedEvents()
{
    QFETCH(Transport, transport);
    auto io = sioStartServer(recoveryOptions());
    QVERIFY(io);
    Connected alice;
    Connected bob;
    QVERIFY(connectClient(io.get(), transport, &alice));
    QVERIFY(connectClient(io.get(), transport, &bob));
    alice.socket->join(u"r1"_s);
    alice.socket->setData(QCborMap{{u"name"_s, u"alice"_s}});
    bob.socket->join(u"r2"_s);
    Socket *bobSocket = bob.socket;

    const QString offset = receiveOneEvent(io.get(), alice);
    QVERIFY(!offset.isEmpty());
    QVERIFY(cutConnection(&alice));
    QCOMPARE(sessionAdapter(io.get())->sessionCount(), 1);

    // while alice is away: what reaches her rooms is logged for her, the rest is not hers
    io->to(u"r1"_s).emitEvent(u"m1"_s, {1});
    io->to(u"r2"_s).emitEvent(u"x1"_s);
    io->emitEvent(u"m2"_s, {QCborMap{{u"k"_s, u"v"_s}}});
    io->except(u"r1"_s).emitEvent(u"x2"_s);
    io->to(alice.sid).emitEvent(u"m3"_s);
    bobSocket->broadcast().emitEvent(u"m4"_s);
    io->to(QStringList{u"r1"_s, u"r2"_s}).except(u"r2"_s).emitEvent(u"m5"_s);
    io->sockets()->asVolatile().emitEvent(u"x3"_s);
    io->sockets()->timeout(1s).emitWithAck(u"x4"_s, {})->setParent(this);

    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient again(transport);
    QVERIFY(again.open(io->serverPort()));
    again.send("40" + recoveryAuth(alice.pid, offset));
    QStringList names;
    QSet<QString> offsets;
    QByteArray text;
    while (!(text = again.waitForText()).startsWith("40")) {
        const QJsonArray event = eventArray(text);
        QVERIFY2(!event.isEmpty(), text.constData());
        names.append(event.first().toString());
        offsets.insert(event.last().toString());
    }
    QCOMPARE(names, (QStringList{u"m1"_s, u"m2"_s, u"m3"_s, u"m4"_s, u"m5"_s}));
    QCOMPARE(offsets.size(), 5);
    QVERIFY(!offsets.contains(offset));
    // the same sid and pid, after the missed events
    QCOMPARE(text, "40{\"sid\":\"" + alice.sid.toLatin1() + "\",\"pid\":\"" + alice.pid.toLatin1() + "\"}");

    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.first().first().value<Socket *>();
    QCOMPARE(socket->id(), alice.sid);
    QVERIFY(socket->isRecovered());
    QCOMPARE(socket->rooms(), (QSet<QString>{alice.sid, u"r1"_s}));
    QCOMPARE(socket->data(), QCborValue(QCborMap{{u"name"_s, u"alice"_s}}));
    // socket.io hands the raw CONNECT auth, pid and offset included, to the application
    QCOMPARE(socket->handshake().auth,
             (QCborMap{{u"offset"_s, offset}, {u"pid"_s, alice.pid}}));
    QCOMPARE(io->sockets()->socket(alice.sid), socket);

    // the recovered socket is a full member again
    io->to(u"r1"_s).emitEvent(u"after"_s);
    const QJsonArray after = eventArray(again.waitForText());
    QCOMPARE(after.first().toString(), u"after"_s);
    QCOMPARE(bobSocket->rooms(), (QSet<QString>{bob.sid, u"r2"_s}));
    QCOMPARE(sessionAdapter(io.get())->sessionCount(), 0);
}

void tst_ServerRecovery::restoredSessionIsUsedOnce()
{
    auto io = sioStartServer(recoveryOptions());
    QVERIFY(io);
    Connected alice;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &alice));
    const QString offset = receiveOneEvent(io.get(), alice);
    QVERIFY(cutConnection(&alice));

    Connected first;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &first, recoveryAuth(alice.pid, offset)));
    QVERIFY(first.socket->isRecovered());
    // a second CONNECT with the same pid while the first recovered socket lives: a new session
    Connected second;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &second, recoveryAuth(alice.pid, offset)));
    QVERIFY(!second.socket->isRecovered());
    QVERIFY(second.sid != alice.sid);
    QVERIFY(second.pid != alice.pid);

    // the recovered socket stores its session again when it is cut off again
    QVERIFY(cutConnection(&first));
    QCOMPARE(sessionAdapter(io.get())->sessionCount(), 1);
    Connected third;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &third, recoveryAuth(alice.pid, offset)));
    QVERIFY(third.socket->isRecovered());
    QCOMPARE(third.sid, alice.sid);
}

void tst_ServerRecovery::unrecoverableConnectGetsNewSession_data()
{
    QTest::addColumn<QString>("what");
    QTest::newRow("unknown pid") << u"unknown pid"_s;
    QTest::newRow("offset never issued") << u"bogus offset"_s;
    QTest::newRow("offset dropped from the log") << u"stale offset"_s;
    QTest::newRow("session expired") << u"expired"_s;
    QTest::newRow("pid without offset") << u"no offset"_s;
    QTest::newRow("offset not a string") << u"numeric offset"_s;
}

void tst_ServerRecovery::unrecoverableConnectGetsNewSession()
{
    QFETCH(QString, what);
    auto io = sioStartServer(recoveryOptions(200ms));
    QVERIFY(io);
    SessionAwareAdapter *adapter = sessionAdapter(io.get());
    Connected alice;
    Connected bob;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &alice));
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &bob));
    QString offset = receiveOneEvent(io.get(), alice);
    QVERIFY(!offset.isEmpty());
    QVERIFY(bob.client->waitForText().startsWith("42"));

    if (what == u"stale offset"_s) {
        // the packet expires from the log while alice is still connected: her session, stored
        // later, is fresh, but her offset is gone
        QTRY_VERIFY_WITH_TIMEOUT((adapter->cleanup(), adapter->packetCount() == 0), 5000);
    }
    QVERIFY(cutConnection(&alice));
    QCOMPARE(adapter->sessionCount(), 1);

    QByteArray auth = recoveryAuth(alice.pid, offset);
    if (what == u"unknown pid"_s) {
        auth = recoveryAuth(u"AAAAAAAAAAAAAAAAAAAA"_s, offset);
    } else if (what == u"bogus offset"_s) {
        auth = recoveryAuth(alice.pid, u"nope"_s);
    } else if (what == u"expired"_s) {
        QTRY_VERIFY_WITH_TIMEOUT((adapter->cleanup(), adapter->sessionCount() == 0), 5000);
        // an offset that is in the log (bob received it just now): only the session is missing
        io->emitEvent(u"later"_s);
        const QJsonArray later = eventArray(bob.client->waitForText());
        QCOMPARE(later.first().toString(), u"later"_s);
        auth = recoveryAuth(alice.pid, later.last().toString());
    } else if (what == u"no offset"_s) {
        auth = QJsonDocument(QJsonObject{{u"pid"_s, alice.pid}}).toJson(QJsonDocument::Compact);
    } else if (what == u"numeric offset"_s) {
        auth = QJsonDocument(QJsonObject{{u"pid"_s, alice.pid}, {u"offset"_s, 1}}).toJson(QJsonDocument::Compact);
    }

    Connected again;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &again, auth));
    QVERIFY(!again.socket->isRecovered());
    QVERIFY(again.sid != alice.sid);
    QVERIFY(again.pid != alice.pid);
    QCOMPARE(again.pid.size(), 20);
    QCOMPARE(again.socket->rooms(), QSet<QString>{again.sid});
    QCOMPARE(again.client->pendingFrames(), 0);   // no replay came with the CONNECT reply
}

void tst_ServerRecovery::onlyRecoverableReasonsStoreASession_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<DisconnectReason>("reason");
    QTest::addColumn<bool>("stored");
    QTest::newRow("transport close") << u"client closes"_s << DisconnectReason::TransportClose << true;
    QTest::newRow("ping timeout") << u"no pong"_s << DisconnectReason::PingTimeout << true;
    QTest::newRow("forced close") << u"engine abort"_s << DisconnectReason::ForcedClose << true;
    QTest::newRow("server shutting down") << u"server close"_s << DisconnectReason::ServerShuttingDown << true;
    QTest::newRow("client namespace disconnect") << u"41"_s << DisconnectReason::ClientNamespaceDisconnect << false;
    QTest::newRow("server namespace disconnect") << u"kick"_s << DisconnectReason::ServerNamespaceDisconnect
                                                 << false;
    QTest::newRow("parse error") << u"bad engine packet"_s << DisconnectReason::ParseError << false;
}

void tst_ServerRecovery::onlyRecoverableReasonsStoreASession()
{
    QFETCH(QString, how);
    QFETCH(DisconnectReason, reason);
    QFETCH(bool, stored);
    auto io = sioStartServer(recoveryOptions());
    QVERIFY(io);
    SessionAwareAdapter *adapter = sessionAdapter(io.get());
    Connected alice;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &alice));
    alice.socket->join(u"room"_s);
    const QString offset = receiveOneEvent(io.get(), alice);
    QVERIFY(!offset.isEmpty());
    QSignalSpy disconnected(alice.socket, &Socket::disconnected);

    if (how == u"client closes"_s)
        alice.client->close();
    else if (how == u"no pong"_s)
        alice.client->setAutoPong(false);
    else if (how == u"engine abort"_s)
        alice.socket->conn()->abort();
    else if (how == u"server close"_s)
        io->close();
    else if (how == u"41"_s)
        alice.client->send("41");
    else if (how == u"kick"_s)
        alice.socket->disconnect();
    else if (how == u"bad engine packet"_s)
        alice.client->sendEngine("9");
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().first().value<DisconnectReason>(), reason);
    QCOMPARE(adapter->sessionCount(), stored ? 1 : 0);
    if (how == u"server close"_s)
        return;   // nothing listens any more

    Connected again;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &again, recoveryAuth(alice.pid, offset)));
    QCOMPARE(again.socket->isRecovered(), stored);
    QCOMPARE(again.sid == alice.sid, stored);
    if (stored)
        QCOMPARE(again.socket->rooms(), (QSet<QString>{alice.sid, u"room"_s}));
}

void tst_ServerRecovery::middlewaresOnRecovery_data()
{
    QTest::addColumn<bool>("skipMiddlewares");
    QTest::addColumn<bool>("refuse");
    QTest::newRow("skipped by default") << true << false;
    QTest::newRow("run when not skipped") << false << false;
    QTest::newRow("refusal when not skipped") << false << true;
}

void tst_ServerRecovery::middlewaresOnRecovery()
{
    QFETCH(bool, skipMiddlewares);
    QFETCH(bool, refuse);
    auto io = sioStartServer(recoveryOptions(2min, skipMiddlewares));
    QVERIFY(io);
    int calls = 0;
    bool sawRecovered = false;
    QSet<QString> roomsSeen;
    bool refusing = false;
    io->use([&](Socket *socket, const Next &next) {
        ++calls;
        sawRecovered = socket->isRecovered();
        roomsSeen = socket->rooms();
        if (refusing) {
            // what a refused socket's middleware changed is not kept
            socket->join(u"joined-while-refused"_s);
            socket->setData(QCborValue(u"changed"_s));
            next(u"go away"_s);
        } else {
            next();
        }
    });
    Connected alice;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &alice));
    QCOMPARE(calls, 1);
    QVERIFY(!sawRecovered);
    alice.socket->join(u"room"_s);
    const QString offset = receiveOneEvent(io.get(), alice);
    QVERIFY(cutConnection(&alice));
    io->to(u"room"_s).emitEvent(u"missed"_s);

    refusing = refuse;
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient again;
    QVERIFY(again.open(io->serverPort()));
    again.send("40" + recoveryAuth(alice.pid, offset));
    const QByteArray first = again.waitForText();
    QCOMPARE(calls, skipMiddlewares ? 1 : 2);
    if (refuse) {
        // refused: no missed events, the re-joined rooms are left again
        QCOMPARE(first, QByteArray(R"(44{"message":"go away"})"));
        QVERIFY(sawRecovered);
        QCOMPARE(roomsSeen, (QSet<QString>{alice.sid, u"room"_s}));
        QVERIFY(!sessionAdapter(io.get())->sids().contains(alice.sid));
        QVERIFY(!sessionAdapter(io.get())->rooms().contains(u"room"_s));
        QVERIFY(!sessionAdapter(io.get())->rooms().contains(u"joined-while-refused"_s));
        QCOMPARE(connections.size(), 0);
        // the session is given back as it was: the client recovers it on its next try (an
        // expired token renewed, say), as with socket.io, whose adapter keeps it until it expires
        QCOMPARE(sessionAdapter(io.get())->sessionCount(), 1);
        refusing = false;
        again.send("40" + recoveryAuth(alice.pid, offset));
        QCOMPARE(eventArray(again.waitForText()).first().toString(), u"missed"_s);
        QCOMPARE(connectReply(again.waitForText()).value(u"sid"_s).toString(), alice.sid);
        QTRY_COMPARE(connections.size(), 1);
        Socket *recovered = connections.first().first().value<Socket *>();
        QVERIFY(recovered->isRecovered());
        QCOMPARE(recovered->rooms(), (QSet<QString>{alice.sid, u"room"_s}));
        QCOMPARE(recovered->data(), QCborValue(QCborMap()));   // as before the middleware set it
        QCOMPARE(sessionAdapter(io.get())->sessionCount(), 0);
        return;
    }
    QCOMPARE(eventArray(first).first().toString(), u"missed"_s);
    QCOMPARE(connectReply(again.waitForText()).value(u"sid"_s).toString(), alice.sid);
    if (!skipMiddlewares) {
        QVERIFY(sawRecovered);
        QCOMPARE(roomsSeen, (QSet<QString>{alice.sid, u"room"_s}));
    }
    QTRY_COMPARE(connections.size(), 1);
    QVERIFY(connections.first().first().value<Socket *>()->isRecovered());
}

void tst_ServerRecovery::givenBackSessionKeepsItsDisconnectionTime()
{
    // Adapter::persistSession() of a session restoreSession() handed over and that did not end in
    // a connection: it carries "disconnectedAt", and expiry counts from then
    auto io = sioStartServer(recoveryOptions(1min));
    QVERIFY(io);
    Connected alice;
    QVERIFY(connectClient(io.get(), Transport::WebSocket, &alice));
    const QString offset = receiveOneEvent(io.get(), alice);
    QVERIFY(!offset.isEmpty());
    SessionAwareAdapter *adapter = sessionAdapter(io.get());
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto session = [](const QString &id, qint64 disconnectedAt) {
        QCborMap map{{u"sid"_s, id}, {u"pid"_s, QString(u"pid-"_s + id)},
                     {u"rooms"_s, QCborArray{id}}, {u"data"_s, QCborValue()}};
        if (disconnectedAt)
            map.insert(u"disconnectedAt"_s, disconnectedAt);
        return map;
    };
    adapter->persistSession(session(u"old"_s, now - 2 * 60 * 1000));   // older than 1 min
    adapter->persistSession(session(u"recent"_s, now - 10 * 1000));
    adapter->persistSession(session(u"fresh"_s, 0));                   // a socket's own: now
    QCOMPARE(adapter->sessionCount(), 3);

    auto restore = [&](const QString &pid) {
        QCborMap result;
        bool called = false;
        adapter->restoreSession(pid, offset, [&](const QCborMap &r) { result = r; called = true; });
        if (!called)
            result.insert(u"not"_s, u"called"_s);
        return result;
    };
    QVERIFY(restore(u"pid-old"_s).isEmpty());   // expired
    const QCborMap recent = restore(u"pid-recent"_s);
    QCOMPARE(recent.value(u"sid"_s).toString(), u"recent"_s);
    QCOMPARE(recent.value(u"disconnectedAt"_s).toInteger(), now - 10 * 1000);
    const QCborMap fresh = restore(u"pid-fresh"_s);
    QCOMPARE(fresh.value(u"sid"_s).toString(), u"fresh"_s);
    QVERIFY(fresh.value(u"disconnectedAt"_s).toInteger() >= now);
    QCOMPARE(adapter->sessionCount(), 0);
}

QTEST_MAIN(tst_ServerRecovery)
#include "tst_server_recovery.moc"
