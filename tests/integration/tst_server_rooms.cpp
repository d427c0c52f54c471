// Rooms and broadcasts through the in-memory adapter: to/except/broadcast selection, one encoding
// per broadcast, broadcast acks, fetchSockets, socketsJoin/Leave, disconnectSockets, adapter signals.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Namespace;
using SocketIo::RemoteSocket;
using SocketIo::Server;
using SocketIo::Socket;

namespace {
// Counts encode calls by wrapping the default adapter.
class CountingAdapter : public SocketIo::InMemoryAdapter
{
public:
    using InMemoryAdapter::InMemoryAdapter;
    void broadcast(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts) override
    {
        ++broadcasts;
        InMemoryAdapter::broadcast(packet, opts);
    }
    int broadcasts = 0;
};
} // namespace

class tst_ServerRooms : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }
    void init();
    void cleanup();

    void joinAndLeaveUpdateRoomsAndAdapter();
    void broadcastSelection_data();
    void broadcastSelection();
    void operatorsAreImmutable();
    void serverSideEmitIsRefusedWithoutClusterAdapter();
    void broadcastWithAckCollectsEveryResponse();
    void broadcastWithAckTimesOutWithPartialResponses();
    void broadcastWithAckToNobodyFinishesLater();
    void fetchSocketsReturnsDetailsAndActs();
    void socketsJoinLeaveAndDisconnect();
    void roomsAreLeftOnDisconnect();
    void customAdapterFactoryIsUsed();

private:
    QList<Socket *> m_sockets;           // a, b, c
    QList<SioRawClient *> m_clients;
    std::unique_ptr<Server> m_io;
};

void tst_ServerRooms::init()
{
    m_io = sioStartServer();
    QVERIFY(m_io);
    QSignalSpy connections(m_io.get(), &Server::connection);
    for (int i = 0; i < 3; ++i) {
        auto *client = new SioRawClient(SioRawClient::Transport::WebSocket, this);
        QVERIFY(client->open(m_io->serverPort()));
        QVERIFY(client->connectNamespace().startsWith("40"));
        QTRY_COMPARE(connections.size(), i + 1);
        m_clients.append(client);
        m_sockets.append(connections.at(i).at(0).value<Socket *>());
    }
    m_sockets[0]->join(u"r1"_s);
    m_sockets[1]->join(QStringList{u"r1"_s, u"r2"_s});
    m_sockets[2]->join(u"r2"_s);
}

void tst_ServerRooms::cleanup()
{
    m_io.reset();
    qDeleteAll(m_clients);
    m_clients.clear();
    m_sockets.clear();
}

void tst_ServerRooms::joinAndLeaveUpdateRoomsAndAdapter()
{
    Socket *b = m_sockets[1];
    QCOMPARE(b->rooms(), (QSet<QString>{b->id(), u"r1"_s, u"r2"_s}));
    auto *adapter = qobject_cast<SocketIo::InMemoryAdapter *>(m_io->sockets()->adapter());
    QVERIFY(adapter);
    QCOMPARE(adapter->rooms().value(u"r1"_s), (QSet<QString>{m_sockets[0]->id(), b->id()}));
    QSignalSpy left(adapter, &SocketIo::Adapter::roomLeft);
    QSignalSpy deleted(adapter, &SocketIo::Adapter::roomDeleted);
    QSignalSpy created(adapter, &SocketIo::Adapter::roomCreated);
    QSignalSpy joined(adapter, &SocketIo::Adapter::roomJoined);
    b->leave(u"r1"_s);
    QCOMPARE(left.size(), 1);
    QCOMPARE(deleted.size(), 0);
    m_sockets[0]->leave(u"r1"_s);
    QCOMPARE(deleted.size(), 1);
    QCOMPARE(deleted.at(0).at(0).toString(), u"r1"_s);
    b->join(u"new"_s);
    QCOMPARE(created.size(), 1);
    QCOMPARE(joined.size(), 1);
    QCOMPARE(joined.at(0).at(0).toString(), u"new"_s);
    QCOMPARE(joined.at(0).at(1).toString(), b->id());
    b->join(u"new"_s);   // no-op
    QCOMPARE(joined.size(), 1);

    // a list is joined in its order, as socket.io's Set; repeats and rooms already joined once
    joined.clear();
    created.clear();
    const QStringList list{u"z2"_s, u"a1"_s, u"new"_s, u"m3"_s, u"z2"_s, u"b4"_s, u"y5"_s, u"c6"_s};
    b->join(list);
    QStringList joinedOrder;
    for (const QList<QVariant> &args : std::as_const(joined))
        joinedOrder.append(args.at(0).toString());
    QCOMPARE(joinedOrder, (QStringList{u"z2"_s, u"a1"_s, u"m3"_s, u"b4"_s, u"y5"_s, u"c6"_s}));
    QCOMPARE(created.size(), 6);
    QCOMPARE(b->rooms().size(), 9);   // own, r2, new and the six
}

void tst_ServerRooms::broadcastSelection_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<QList<bool>>("expected");   // a, b, c get it
    QTest::newRow("everyone") << u"all"_s << QList<bool>{true, true, true};
    QTest::newRow("one room") << u"to r1"_s << QList<bool>{true, true, false};
    QTest::newRow("two rooms, each socket once") << u"to r1 r2"_s << QList<bool>{true, true, true};
    QTest::newRow("room except room") << u"to r1 except r2"_s << QList<bool>{true, false, false};
    QTest::newRow("everyone except room") << u"except r1"_s << QList<bool>{false, false, true};
    QTest::newRow("socket broadcast excludes sender") << u"a broadcast"_s << QList<bool>{false, true, true};
    QTest::newRow("socket to room excludes sender") << u"a to r1"_s << QList<bool>{false, true, false};
    QTest::newRow("a socket's own room") << u"to own b"_s << QList<bool>{false, true, false};
    QTest::newRow("unknown room") << u"to nowhere"_s << QList<bool>{false, false, false};
}

void tst_ServerRooms::broadcastSelection()
{
    QFETCH(QString, how);
    QFETCH(QList<bool>, expected);
    SocketIo::BroadcastOperator op = m_io->sockets()->all();
    if (how == "to r1"_L1)
        op = m_io->to(u"r1"_s);
    else if (how == "to r1 r2"_L1)
        op = m_io->to(u"r1"_s).to(u"r2"_s);
    else if (how == "to r1 except r2"_L1)
        op = m_io->to(u"r1"_s).except(u"r2"_s);
    else if (how == "except r1"_L1)
        op = m_io->except(u"r1"_s);
    else if (how == "a broadcast"_L1)
        op = m_sockets[0]->broadcast();
    else if (how == "a to r1"_L1)
        op = m_sockets[0]->to(u"r1"_s);
    else if (how == "to own b"_L1)
        op = m_io->to(m_sockets[1]->id());
    else if (how == "to nowhere"_L1)
        op = m_io->to(u"nowhere"_s);
    QVERIFY(op.emitEvent(u"news"_s, {u"x"_s}));
    // a marker to everyone afterwards: each client sees "news" first only if it was selected
    m_io->emitEvent(u"marker"_s);
    for (int i = 0; i < 3; ++i) {
        const QByteArray first = m_clients[i]->waitForText();
        QCOMPARE(first == R"(42["news","x"])", expected[i]);
        if (expected[i])
            QCOMPARE(m_clients[i]->waitForText(), QByteArray(R"(42["marker"])"));
        else
            QCOMPARE(first, QByteArray(R"(42["marker"])"));
    }
}

void tst_ServerRooms::operatorsAreImmutable()
{
    const SocketIo::BroadcastOperator base = m_io->to(u"r1"_s);
    const SocketIo::BroadcastOperator derived = base.except(u"r2"_s).asVolatile().timeout(1s).local().compress(false);
    QCOMPARE(base.options().except.size(), 0);
    QVERIFY(!base.options().flags.isVolatile);
    QVERIFY(!base.options().flags.timeout.has_value());
    QCOMPARE(derived.options().except, QSet<QString>{u"r2"_s});
    QVERIFY(derived.options().flags.isVolatile);
    QVERIFY(derived.options().flags.local);
    QVERIFY(!derived.options().flags.compress);
    QCOMPARE(*derived.options().flags.timeout, std::chrono::milliseconds(1000));
}

void tst_ServerRooms::broadcastWithAckCollectsEveryResponse()
{
    AckReply *reply = m_io->to(u"r1"_s).timeout(2s).emitWithAck(u"question"_s, {1});
    QSignalSpy finished(reply, &AckReply::finished);
    QCborArray responses;
    AckReply::Error error = AckReply::Error::Timeout;
    connect(reply, &AckReply::finished, this, [&] {
        responses = reply->responses();
        error = reply->error();
    });
    // one ack id for all targeted sockets (namespace counter starts at 0)
    QCOMPARE(m_clients[0]->waitForText(), QByteArray(R"(420["question",1])"));
    QCOMPARE(m_clients[1]->waitForText(), QByteArray(R"(420["question",1])"));
    QSignalSpy aReceived(m_sockets[0], &Socket::eventReceived);
    m_clients[0]->send(R"(430["from-a","ignored"])");
    m_clients[0]->send(R"(42["sync"])");   // arrives after the ack on the same connection
    QTRY_COMPARE(aReceived.size(), 1);
    QCOMPARE(finished.size(), 0);        // b has not answered yet
    m_clients[1]->send(R"(430["from-b"])");
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(error, AckReply::Error::NoError);
    QCOMPARE(responses, (QCborArray{u"from-a"_s, u"from-b"_s}));
}

void tst_ServerRooms::broadcastWithAckTimesOutWithPartialResponses()
{
    AckReply *reply = m_io->timeout(100ms).emitWithAck(u"question"_s);
    QCborArray responses;
    QString errorString;
    int finishedCount = 0;
    connect(reply, &AckReply::finished, this, [&] {
        ++finishedCount;
        responses = reply->responses();
        errorString = reply->errorString();
    });
    QCOMPARE(m_clients[2]->waitForText(), QByteArray(R"(420["question"])"));
    m_clients[2]->send(R"(430[3])");
    QTRY_COMPARE(finishedCount, 1);
    QCOMPARE(errorString, u"operation has timed out"_s);
    QCOMPARE(responses, QCborArray{3});
}

void tst_ServerRooms::broadcastWithAckToNobodyFinishesLater()
{
    AckReply *reply = m_io->to(u"nowhere"_s).timeout(1s).emitWithAck(u"q"_s);
    QSignalSpy finished(reply, &AckReply::finished);
    QCOMPARE(finished.size(), 0);   // not inside the call
    QTRY_COMPARE(finished.size(), 1);
}

void tst_ServerRooms::fetchSocketsReturnsDetailsAndActs()
{
    m_sockets[1]->setData(QCborMap{{u"k"_s, 1}});
    QList<RemoteSocket> fetched;
    bool called = false;
    m_io->to(u"r2"_s).fetchSockets(this, [&](const QList<RemoteSocket> &sockets) {
        fetched = sockets;
        called = true;
    });
    QVERIFY(!called);   // never synchronously
    QTRY_VERIFY(called);
    QCOMPARE(fetched.size(), 2);
    QCOMPARE(fetched.at(0).id(), m_sockets[1]->id());
    QCOMPARE(fetched.at(1).id(), m_sockets[2]->id());
    QCOMPARE(fetched.at(0).data().toMap().value(u"k"_s).toInteger(), 1);
    QCOMPARE(fetched.at(0).rooms(), m_sockets[1]->rooms());
    QCOMPARE(fetched.at(0).handshake(), m_sockets[1]->handshake());
    QCOMPARE(fetched.at(0).toCbor().value(u"id"_s).toString(), m_sockets[1]->id());

    fetched.at(1).emitEvent(u"direct"_s, {7});
    QCOMPARE(m_clients[2]->waitForText(), QByteArray(R"(42["direct",7])"));
    fetched.at(1).join({u"via-remote"_s});
    QVERIFY(m_sockets[2]->rooms().contains(u"via-remote"_s));
    fetched.at(1).leave(u"via-remote"_s);
    QVERIFY(!m_sockets[2]->rooms().contains(u"via-remote"_s));
    fetched.at(1).disconnect();
    QCOMPARE(m_clients[2]->waitForText(), QByteArray("41"));
}

void tst_ServerRooms::socketsJoinLeaveAndDisconnect()
{
    m_io->to(u"r1"_s).socketsJoin(u"vip"_s);
    QVERIFY(m_sockets[0]->rooms().contains(u"vip"_s));
    QVERIFY(m_sockets[1]->rooms().contains(u"vip"_s));
    QVERIFY(!m_sockets[2]->rooms().contains(u"vip"_s));
    m_io->except(u"r2"_s).socketsLeave(u"vip"_s);
    QVERIFY(!m_sockets[0]->rooms().contains(u"vip"_s));
    QVERIFY(m_sockets[1]->rooms().contains(u"vip"_s));

    QSignalSpy d1(m_sockets[1], &Socket::disconnected);
    m_io->in(u"vip"_s).disconnectSockets();
    QCOMPARE(d1.size(), 1);
    QCOMPARE(m_clients[1]->waitForText(), QByteArray("41"));
    QCOMPARE(m_io->sockets()->socketCount(), 2);

    m_io->disconnectSockets(true);
    QVERIFY(m_clients[0]->waitForClosed());
    QVERIFY(m_clients[2]->waitForClosed());
    QCOMPARE(m_io->sockets()->socketCount(), 0);
}

void tst_ServerRooms::roomsAreLeftOnDisconnect()
{
    auto *adapter = qobject_cast<SocketIo::InMemoryAdapter *>(m_io->sockets()->adapter());
    const QString id = m_sockets[1]->id();
    m_clients[1]->send("41");
    QTRY_VERIFY(!adapter->sids().contains(id));
    QCOMPARE(adapter->rooms().value(u"r1"_s), QSet<QString>{m_sockets[0]->id()});
    QVERIFY(!adapter->rooms().contains(id));
}

void tst_ServerRooms::customAdapterFactoryIsUsed()
{
    SocketIo::ServerOptions options = sioTestOptions();
    QList<CountingAdapter *> created;
    options.adapter = [&](Namespace *nsp) {
        auto *adapter = new CountingAdapter(nsp);
        created.append(adapter);
        return adapter;
    };
    auto io = sioStartServer(options);
    QVERIFY(io);
    QCOMPARE(created.size(), 1);   // "/"
    QCOMPARE(io->sockets()->adapter(), created.at(0));
    SioRawClient one;
    SioRawClient two;
    QVERIFY(one.open(io->serverPort()));
    QVERIFY(two.open(io->serverPort()));
    QVERIFY(one.connectNamespace().startsWith("40"));
    QVERIFY(two.connectNamespace().startsWith("40"));
    io->emitEvent(u"hello"_s, {QByteArray("\x01", 1)});
    QCOMPARE(created.at(0)->broadcasts, 1);
    QCOMPARE(one.waitForText(), QByteArray(R"(451-["hello",{"_placeholder":true,"num":0}])"));
    QCOMPARE(one.waitForBinary(), QByteArray("\x01", 1));
    QCOMPARE(two.waitForText(), QByteArray(R"(451-["hello",{"_placeholder":true,"num":0}])"));
    QCOMPARE(two.waitForBinary(), QByteArray("\x01", 1));
}

void tst_ServerRooms::serverSideEmitIsRefusedWithoutClusterAdapter()
{
    // socket.io's in-memory adapter throws; ours refuses with a warning and sends nothing.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("serverSideEmit")));
    QVERIFY(!m_io->serverSideEmit(QStringLiteral("ping"), {1}));
}

QTEST_GUILESS_MAIN(tst_ServerRooms)
#include "tst_server_rooms.moc"
