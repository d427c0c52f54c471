// Namespaces over real engine sessions: CONNECT replies, unknown and dynamic namespaces,
// inheritance, DISCONNECT from the client, connectTimeout, handshake details.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QCoreApplication>
#include <QTest>

#include <optional>
#include <QTimer>

using namespace Qt::StringLiterals;
using SocketIo::Namespace;
using SocketIo::Server;
using SocketIo::Socket;
using Transport = SioRawClient::Transport;

namespace {
QJsonObject payloadAfter(const QByteArray &text, const QByteArray &prefix)
{
    if (!text.startsWith(prefix))
        return {};
    return QJsonDocument::fromJson(text.mid(prefix.size())).object();
}
} // namespace

class tst_ServerNamespaces : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }

    void connectMainNamespace_data();
    void connectMainNamespace();
    void connectCustomNamespace();
    void unknownNamespaceIsRefusedAndConnectionStaysOpen_data();
    void unknownNamespaceIsRefusedAndConnectionStaysOpen();
    void ofNormalisesNamesAndAnnouncesNewNamespaces();
    void dynamicNamespaceByRegex();
    void dynamicNamespaceByAsyncCallback();
    void dynamicChildInheritsMiddlewaresAndConnectionHandlers();
    void ofANameARegexParentMatchesCreatesItsChild();
    void childAskedForByNameIsKeptWhenEmpty();
    void clientNamespaceDisconnectKeepsSessionOpen();
    void oneSessionMultiplexesNamespaces();
    void emptyChildNamespaceIsCleanedUp();
    void childRefusedByMiddlewareIsCleanedUp();
    void childLeftInItsConnectionSlotIsCleanedUp();
    void handshakeCarriesRequestDetailsAndAuth();
    void connectTimeoutClosesConnectionWithoutNamespace();
    void joinedNamespaceStopsConnectTimeout();
};

void tst_ServerNamespaces::connectMainNamespace_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("websocket") << Transport::WebSocket;
    QTest::newRow("polling") << Transport::Polling;
}

void tst_ServerNamespaces::connectMainNamespace()
{
    QFETCH(Transport, transport);
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    QSignalSpy rootConnections(io->sockets(), &Namespace::connection);

    SioRawClient client(transport);
    QVERIFY(client.open(io->serverPort()));
    const QByteArray reply = client.connectNamespace();
    const QJsonObject payload = payloadAfter(reply, "40");
    const QString sid = payload.value("sid"_L1).toString();
    QCOMPARE(sid.size(), 20);
    QVERIFY2(sid != client.sid(), "the socket id must not be the engine sid");
    QCOMPARE(payload.keys(), QStringList{u"sid"_s});

    QTRY_COMPARE(connections.size(), 1);
    QCOMPARE(rootConnections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QCOMPARE(socket->id(), sid);
    QCOMPARE(socket->nsp(), io->sockets());
    QVERIFY(socket->isConnected());
    QCOMPARE(socket->rooms(), QSet<QString>{sid});
    QCOMPARE(io->sockets()->socket(sid), socket);
    QCOMPARE(io->sockets()->socketCount(), 1);
}

void tst_ServerNamespaces::connectCustomNamespace()
{
    auto io = sioStartServer();
    QVERIFY(io);
    Namespace *custom = io->of(u"/custom"_s);
    QSignalSpy customConnections(custom, &Namespace::connection);
    QSignalSpy rootConnections(io.get(), &Server::connection);

    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    const QByteArray reply = client.connectNamespace(u"/custom"_s);
    QVERIFY2(reply.startsWith("40/custom,{\"sid\":\""), reply.constData());
    QTRY_COMPARE(customConnections.size(), 1);
    QCOMPARE(rootConnections.size(), 0);
    // the same packet without trailing comma is equivalent
    SioRawClient other;
    QVERIFY(other.open(io->serverPort()));
    other.send("40/custom");
    QVERIFY(other.waitForText().startsWith("40/custom,{\"sid\":"));
}

void tst_ServerNamespaces::unknownNamespaceIsRefusedAndConnectionStaysOpen_data()
{
    connectMainNamespace_data();
}

void tst_ServerNamespaces::unknownNamespaceIsRefusedAndConnectionStaysOpen()
{
    QFETCH(Transport, transport);
    auto io = sioStartServer();
    QVERIFY(io);
    SioRawClient client(transport);
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(u"/random"_s), QByteArray(R"(44/random,{"message":"Invalid namespace"})"));
    QVERIFY(!io->findNamespace(u"/random"_s));
    // still open: the main namespace can be joined afterwards
    QVERIFY(client.connectNamespace().startsWith("40{\"sid\":"));
    QVERIFY(!client.isClosed());
}

void tst_ServerNamespaces::ofNormalisesNamesAndAnnouncesNewNamespaces()
{
    Server io;
    QSignalSpy created(&io, &Server::newNamespace);
    Namespace *chat = io.of(u"chat"_s);
    QCOMPARE(chat->name(), u"/chat"_s);
    QCOMPARE(io.of(u"/chat"_s), chat);
    QCOMPARE(created.size(), 1);
    QCOMPARE(created.at(0).at(0).value<Namespace *>(), chat);
    QCOMPARE(io.sockets(), io.of(u"/"_s));
    QCOMPARE(io.sockets()->name(), u"/"_s);
    QCOMPARE(created.size(), 1);   // "/" is not announced
    QCOMPARE(io.findNamespace(u"chat"_s), chat);
}

void tst_ServerNamespaces::dynamicNamespaceByRegex()
{
    auto io = sioStartServer();
    QVERIFY(io);
    Namespace *parent = io->of(QRegularExpression(u"^/dynamic-\\d+$"_s));
    QVERIFY(parent->isParent());
    QCOMPARE(parent->name(), u"/_0"_s);
    QSignalSpy created(io.get(), &Server::newNamespace);
    QSignalSpy parentConnections(parent, &Namespace::connection);

    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/dynamic-101"_s).startsWith("40/dynamic-101,{\"sid\":"));
    QCOMPARE(created.size(), 1);
    Namespace *child = created.at(0).at(0).value<Namespace *>();
    QCOMPARE(child->name(), u"/dynamic-101"_s);
    QCOMPARE(child->parentNamespace(), parent);
    QCOMPARE(parent->children(), QList<Namespace *>{child});
    QTRY_COMPARE(parentConnections.size(), 1);
    QCOMPARE(parentConnections.at(0).at(0).value<Socket *>()->nsp(), child);

    QCOMPARE(client.connectNamespace(u"/dynamic-abc"_s),
             QByteArray(R"(44/dynamic-abc,{"message":"Invalid namespace"})"));

    // broadcasting on the parent reaches the children
    parent->emitEvent(u"hello"_s, {1});
    QCOMPARE(client.waitForText(), QByteArray(R"(42/dynamic-101,["hello",1])"));
}

void tst_ServerNamespaces::dynamicNamespaceByAsyncCallback()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QStringList asked;
    QCborMap seenAuth;
    io->of([&](const QString &name, const QCborMap &auth, const std::function<void(bool)> &accept) {
        asked.append(name);
        seenAuth = auth;
        QTimer::singleShot(10, io.get(), [name, accept] { accept(name.startsWith("/ok"_L1)); });
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/ok-1"_s, R"({"token":"abc"})").startsWith("40/ok-1,{\"sid\":"));
    QCOMPARE(seenAuth.value(u"token"_s).toString(), u"abc"_s);
    QCOMPARE(client.connectNamespace(u"/nope"_s), QByteArray(R"(44/nope,{"message":"Invalid namespace"})"));
    QCOMPARE(asked, (QStringList{u"/ok-1"_s, u"/nope"_s}));
}

void tst_ServerNamespaces::dynamicChildInheritsMiddlewaresAndConnectionHandlers()
{
    auto io = sioStartServer();
    QVERIFY(io);
    Namespace *parent = io->of(QRegularExpression(u"^/room-"_s));
    int parentMiddlewareRuns = 0;
    parent->use([&](Socket *socket, const SocketIo::Next &next) {
        ++parentMiddlewareRuns;
        if (socket->handshake().auth.value(u"deny"_s).toBool())
            next(u"denied by parent"_s);
        else
            next();
    });
    QList<Socket *> handled;
    connect(parent, &Namespace::connection, this, [&](Socket *s) { handled.append(s); });

    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/room-a"_s).startsWith("40/room-a,"));
    QCOMPARE(parentMiddlewareRuns, 1);
    QTRY_COMPARE(handled.size(), 1);
    QCOMPARE(handled.at(0)->nsp()->name(), u"/room-a"_s);
    QCOMPARE(client.connectNamespace(u"/room-b"_s, R"({"deny":true})"),
             QByteArray(R"(44/room-b,{"message":"denied by parent"})"));
    QCOMPARE(parentMiddlewareRuns, 2);
}

void tst_ServerNamespaces::ofANameARegexParentMatchesCreatesItsChild()
{
    // socket.io's io.of(name) asks the parents made from regular expressions: the name becomes
    // a child of the first that matches, with its middlewares, before any client opened it
    auto io = sioStartServer();
    QVERIFY(io);
    int askedFunction = 0;
    Namespace *byFunction = io->of([&](const QString &, const QCborMap &,
                                       const std::function<void(bool)> &accept) {
        ++askedFunction;
        accept(false);
    });
    Namespace *other = io->of(QRegularExpression(u"^/other-"_s));
    Namespace *parent = io->of(QRegularExpression(u"^/dyn-\\d+$"_s));
    Namespace *second = io->of(QRegularExpression(u"^/dyn-"_s));
    parent->use([](Socket *socket, const SocketIo::Next &next) {
        if (socket->handshake().auth.value(u"token"_s).toString() == "good"_L1)
            next();
        else
            next(u"denied by parent"_s);
    });
    QList<Socket *> handled;
    connect(parent, &Namespace::connection, this, [&](Socket *s) { handled.append(s); });
    QSignalSpy created(io.get(), &Server::newNamespace);

    Namespace *child = io->of(u"dyn-1"_s);
    QCOMPARE(child->name(), u"/dyn-1"_s);
    QCOMPARE(child->parentNamespace(), parent);
    QCOMPARE(parent->children(), QList<Namespace *>{child});
    QVERIFY(second->children().isEmpty());
    QVERIFY(other->children().isEmpty());
    QCOMPARE(created.size(), 1);
    QCOMPARE(io->of(u"/dyn-1"_s), child);   // found, not created again
    QCOMPARE(created.size(), 1);
    QCOMPARE(askedFunction, 0);   // a matcher function is not asked by of()

    // a name only the function would take, and one no parent takes: plain namespaces
    Namespace *plain = io->of(u"/plain"_s);
    QCOMPARE(plain->parentNamespace(), nullptr);
    QCOMPARE(askedFunction, 0);
    QVERIFY(byFunction->children().isEmpty());

    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(u"/dyn-1"_s, R"({"token":"bad"})"),
             QByteArray(R"(44/dyn-1,{"message":"denied by parent"})"));
    QVERIFY(handled.isEmpty());
    QVERIFY(client.connectNamespace(u"/dyn-1"_s, R"({"token":"good"})").startsWith("40/dyn-1,"));
    QTRY_COMPARE(handled.size(), 1);
    QCOMPARE(handled.at(0)->nsp(), child);
    // a broadcast on the parent reaches the child's sockets
    parent->emitEvent(u"hello"_s, {2});
    QCOMPARE(client.waitForText(), QByteArray(R"(42/dyn-1,["hello",2])"));
}

void tst_ServerNamespaces::clientNamespaceDisconnectKeepsSessionOpen()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    QPointer<Socket> socket = connections.at(0).at(0).value<Socket *>();
    QSignalSpy disconnecting(socket.data(), &Socket::disconnecting);
    QSignalSpy disconnected(socket.data(), &Socket::disconnected);
    QStringList roomsWhileDisconnecting;
    connect(socket.data(), &Socket::disconnecting, this, [&] {
        const auto rooms = socket->rooms();
        roomsWhileDisconnecting = QStringList(rooms.begin(), rooms.end());
    });

    client.send("41");
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnecting.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).value<SocketIo::DisconnectReason>(),
             SocketIo::DisconnectReason::ClientNamespaceDisconnect);
    QCOMPARE(SocketIo::reasonString(disconnected.at(0).at(0).value<SocketIo::DisconnectReason>()),
             u"client namespace disconnect"_s);
    QCOMPARE(roomsWhileDisconnecting.size(), 1);   // its own room, still joined
    QCOMPARE(io->sockets()->socketCount(), 0);
    QTRY_VERIFY(socket.isNull());   // deleted later

    // the session stays open: pings keep coming and the namespace can be joined again
    const int pings = client.pingCount();
    QTRY_VERIFY(client.pingCount() > pings);
    QVERIFY(!client.isClosed());
    QVERIFY(client.connectNamespace().startsWith("40{\"sid\":"));
}

void tst_ServerNamespaces::oneSessionMultiplexesNamespaces()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->of(u"/a"_s);
    io->of(u"/b"_s);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/a"_s).startsWith("40/a,"));
    QVERIFY(client.connectNamespace(u"/b"_s).startsWith("40/b,"));
    QCOMPARE(io->of(u"/a"_s)->socketCount(), 1);
    QCOMPARE(io->of(u"/b"_s)->socketCount(), 1);
    QCOMPARE(io->sockets()->socketCount(), 0);   // "/" is not joined implicitly
    io->of(u"/b"_s)->emitEvent(u"only-b"_s);
    QCOMPARE(client.waitForText(), QByteArray(R"(42/b,["only-b"])"));
}

void tst_ServerNamespaces::emptyChildNamespaceIsCleanedUp()
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.cleanupEmptyChildNamespaces = true;
    auto io = sioStartServer(options);
    QVERIFY(io);
    Namespace *parent = io->of(QRegularExpression(u"^/tmp-"_s));
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/tmp-1"_s).startsWith("40/tmp-1,"));
    QPointer<Namespace> child = io->findNamespace(u"/tmp-1"_s);
    QVERIFY(child);
    client.send("41/tmp-1,");
    QTRY_VERIFY(child.isNull());
    QVERIFY(!io->findNamespace(u"/tmp-1"_s));
    QVERIFY(parent->children().isEmpty());
    // and it is created again on demand
    QVERIFY(client.connectNamespace(u"/tmp-1"_s).startsWith("40/tmp-1,"));
}

void tst_ServerNamespaces::childAskedForByNameIsKeptWhenEmpty()
{
    // cleanupEmptyChildNamespaces removes the children only clients opened; one the application
    // asked for with of() (before or after a client opened it) may be held, and stays
    SocketIo::ServerOptions options = sioTestOptions();
    options.cleanupEmptyChildNamespaces = true;
    auto io = sioStartServer(options);
    QVERIFY(io);
    Namespace *parent = io->of(QRegularExpression(u"^/tmp-"_s));
    QPointer<Namespace> before = io->of(u"/tmp-before"_s);
    QCOMPARE(before->parentNamespace(), parent);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/tmp-after"_s).startsWith("40/tmp-after,"));
    QPointer<Namespace> after = io->of(u"/tmp-after"_s);   // opened by the client, then asked for
    QVERIFY(client.connectNamespace(u"/tmp-before"_s).startsWith("40/tmp-before,"));
    QVERIFY(client.connectNamespace(u"/tmp-alone"_s).startsWith("40/tmp-alone,"));
    QPointer<Namespace> alone = io->findNamespace(u"/tmp-alone"_s);   // findNamespace() does not keep
    QVERIFY(alone);
    client.send("41/tmp-after,");
    client.send("41/tmp-before,");
    client.send("41/tmp-alone,");
    QTRY_VERIFY(alone.isNull());   // the control: removed once empty
    QVERIFY(before);
    QVERIFY(after);
    QCOMPARE(io->findNamespace(u"/tmp-before"_s), before.data());
    QCOMPARE(io->findNamespace(u"/tmp-after"_s), after.data());
    QCOMPARE(parent->children().size(), 2);
}

void tst_ServerNamespaces::childRefusedByMiddlewareIsCleanedUp()
{
    // socket.io removes an empty child namespace also when its only socket was refused by a
    // middleware, or when the connection closed while a middleware was still deciding.
    SocketIo::ServerOptions options = sioTestOptions();
    options.cleanupEmptyChildNamespaces = true;
    auto io = sioStartServer(options);
    QVERIFY(io);
    Namespace *parent = io->of(QRegularExpression(u"^/tmp-"_s));
    std::optional<SocketIo::Next> held;
    int heldCount = 0;
    parent->use([&held, &heldCount](Socket *socket, const SocketIo::Next &next) {
        if (socket->nsp()->name() == u"/tmp-held"_s) {
            held = next;   // the previous one held is dropped without an answer
            ++heldCount;
        } else {
            next(u"refused"_s);
        }
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(u"/tmp-1"_s), QByteArray(R"(44/tmp-1,{"message":"refused"})"));
    QTRY_VERIFY(!io->findNamespace(u"/tmp-1"_s));
    QVERIFY(parent->children().isEmpty());

    // a connection still in the middlewares keeps the child, even while another one is refused
    SioRawClient other;
    QVERIFY(other.open(io->serverPort()));
    other.send("40/tmp-held,");
    QTRY_COMPARE(heldCount, 1);
    QPointer<Namespace> child = io->findNamespace(u"/tmp-held"_s);
    QVERIFY(child);
    SioRawClient third;
    QVERIFY(third.open(io->serverPort()));
    third.send("40/tmp-held,");
    QTRY_COMPARE(heldCount, 2);
    QCoreApplication::processEvents();
    QVERIFY(child);   // the first connection's dropped continuation leaves the third pending
    // the connections close while the middleware decides; its late answer drops the sockets
    // and then the child goes
    other.close();
    third.close();
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
    QVERIFY(child);
    (*held)();
    QTRY_VERIFY(child.isNull());
    QVERIFY(!io->findNamespace(u"/tmp-held"_s));
    QVERIFY(parent->children().isEmpty());
}

void tst_ServerNamespaces::childLeftInItsConnectionSlotIsCleanedUp()
{
    // No middleware: the CONNECT is decided at once. A socket that leaves from a connection()
    // slot still gets its CONNECT reply first, then the DISCONNECT; its child namespace goes
    // once that CONNECT is over, and a later CONNECT creates it anew.
    SocketIo::ServerOptions options = sioTestOptions();
    options.cleanupEmptyChildNamespaces = true;
    auto io = sioStartServer(options);
    QVERIFY(io);
    Namespace *parent = io->of(QRegularExpression(u"^/tmp-"_s));
    int connections = 0;
    QList<QPointer<Namespace>> children;
    connect(parent, &Namespace::connection, this, [&](Socket *socket) {
        ++connections;
        children.append(socket->nsp());
        QVERIFY(socket->isConnected());
        QVERIFY(socket->rooms().contains(socket->id()));
        if (connections == 1)
            socket->disconnect();
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/tmp-1"_s).startsWith("40/tmp-1,{\"sid\":"));
    QCOMPARE(client.waitForText(), QByteArray("41/tmp-1,"));
    QCOMPARE(connections, 1);
    QTRY_VERIFY(children.value(0).isNull());
    QVERIFY(!io->findNamespace(u"/tmp-1"_s));
    QVERIFY(parent->children().isEmpty());
    // the session stays open and may join the namespace again: a new child
    QVERIFY(client.connectNamespace(u"/tmp-1"_s).startsWith("40/tmp-1,{\"sid\":"));
    QCOMPARE(connections, 2);
    QVERIFY(children.value(1));
    QCOMPARE(io->findNamespace(u"/tmp-1"_s), children.value(1).data());
    QCOMPARE(children.value(1)->socketCount(), 1);
}

void tst_ServerNamespaces::handshakeCarriesRequestDetailsAndAuth()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(Transport::Polling);
    QVERIFY(client.open(io->serverPort(), u"/socket.io/"_s, u"foo=bar&dup=1&name=a+b%2Bc%20d&dup=2"_s));
    QVERIFY(client.connectNamespace(u"/"_s, R"({"token":"123"})").startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    const SocketIo::Handshake h = connections.at(0).at(0).value<Socket *>()->handshake();
    QCOMPARE(h.query.value(u"foo"_s).toString(), u"bar"_s);
    // decoded as engine.io 6 does (URLSearchParams): "+" is a space, "%2B" a plus, and of a
    // repeated name the last value, where the name first appeared
    QCOMPARE(h.query.value(u"name"_s).toString(), u"a b+c d"_s);
    QCOMPARE(h.query.value(u"dup"_s).toString(), u"2"_s);
    const QStringList keys = [&h] {
        QStringList list;
        for (const QCborValue &k : h.query.keys())
            list.append(k.toString());
        return list;
    }();
    QCOMPARE(keys, (QStringList{u"EIO"_s, u"transport"_s, u"foo"_s, u"dup"_s, u"name"_s}));
    QCOMPARE(h.query.value(u"EIO"_s).toString(), u"4"_s);
    QCOMPARE(h.query.value(u"transport"_s).toString(), u"polling"_s);
    QCOMPARE(h.auth.value(u"token"_s).toString(), u"123"_s);
    QVERIFY(h.url.startsWith("/socket.io/?EIO=4&transport=polling"_L1));
    QVERIFY(h.headers.contains(u"host"_s));
    QVERIFY(!h.xdomain);
    QVERIFY(!h.secure);
    QVERIFY(h.address.contains("127.0.0.1"_L1));
    QVERIFY(qAbs(h.issued - QDateTime::currentMSecsSinceEpoch()) < 60000);
    const QRegularExpression date(u"^[A-Z][a-z]{2} [A-Z][a-z]{2} \\d{2} \\d{4} \\d{2}:\\d{2}:\\d{2} "
                                  "GMT[+-]\\d{4} \\([^()]+\\)$"_s);
    QVERIFY2(date.match(h.time).hasMatch(), qPrintable(h.time));
    const QCborMap cbor = h.toCbor();
    QCOMPARE(cbor.keys().size(), 9);
    QCOMPARE(SocketIo::Handshake::fromCbor(cbor), h);
    QCOMPARE(h.toJson().value("auth"_L1).toObject().value("token"_L1).toString(), u"123"_s);
}

void tst_ServerNamespaces::connectTimeoutClosesConnectionWithoutNamespace()
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectTimeout = std::chrono::milliseconds(200);
    auto io = sioStartServer(options);
    QVERIFY(io);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.waitForClosed(3000));
}

void tst_ServerNamespaces::joinedNamespaceStopsConnectTimeout()
{
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectTimeout = std::chrono::milliseconds(200);
    auto io = sioStartServer(options);
    QVERIFY(io);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    // well past the timeout (three heartbeats of 300 ms), the connection is still there
    QTRY_VERIFY_WITH_TIMEOUT(client.pingCount() >= 3, 5000);
    QVERIFY(!client.isClosed());
}

QTEST_GUILESS_MAIN(tst_ServerNamespaces)
#include "tst_server_namespaces.moc"
