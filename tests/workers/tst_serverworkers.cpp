// ServerWorkers: N event-loop workers sharing one port, sticky sessions across workers and the
// in-process WorkerAdapter, driven by real peers (our Client, the npm socket.io-client, raw HTTP).
// Every test starts its own two workers; which worker serves a client is read from the worker
// itself (its setup answers "whoami" with its index), never assumed.
#include "clienttesthelpers.h"
#include "gzippollingpeer.h"
#include "nodeprocess.h"
#include "rawhttpclient.h"
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/instrumentation.h>
#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>
#include <SocketIo/serverworkers.h>
#include <SocketIo/socket.h>

#include <QAbstractEventDispatcher>
#include <QCborArray>
#include <QCborMap>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QSet>
#include <QSignalSpy>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>
#include <QSysInfo>
#include <QThread>
#include <QWebSocket>

#include <algorithm>
#include <atomic>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::Test::keep;

namespace {

constexpr int Workers = 2;

// The handlers every worker installs; each runs on its worker's thread.
void setupWorker(SocketIo::Server *io, int index)
{
    // dynamic namespaces: each worker creates a child when one of its clients asks for it
    QObject::connect(io->of(QRegularExpression(u"^/dyn-\\d+$"_s)), &SocketIo::Namespace::connection, io,
                     [](SocketIo::Socket *s) {
        s->on(u"server-count"_s, s, [s](const SocketIo::Message &m) {
            s->nsp()->adapter()->serverCount([m](int count) { m.ack({count}); });
        });
        s->on(u"to-all"_s, s, [s](const SocketIo::Message &m) {
            s->nsp()->emitEvent(u"dyn-news"_s, m.args());
            m.ack({true});
        });
    });
    QObject::connect(io->sockets(), &SocketIo::Namespace::serverSideEventReceived, io,
                     [io, index](const QString &event, const QCborArray &args) {
        if (event == u"please-broadcast"_s) {
            io->to(args.at(0).toString()).emitEvent(u"news"_s, {args.at(1)});
            return;
        }
        // tell this worker's own clients that it got another worker's server-side event
        io->local().emitEvent(u"sse-received"_s, {event, index, args.isEmpty() ? QCborValue() : args.at(0)});
    });
    QObject::connect(io->sockets(), &SocketIo::Namespace::serverSideEventWithAckReceived, io,
                     [index](const QString &, const QCborArray &, const SocketIo::Namespace::ServerSideAck &ack) {
        ack(index);
    });
    QObject::connect(io, &SocketIo::Server::connection, io, [io, index](SocketIo::Socket *s) {
        s->setData(QCborMap{{u"worker"_s, index}});
        if (io->options().connectionStateRecovery.enabled) {
            // while the client is away, another worker broadcasts to its room
            QObject::connect(s, &SocketIo::Socket::disconnected, io, [io] {
                io->serverSideEmit(u"please-broadcast"_s, {u"room"_s, u"missed"_s});
            });
        }
        s->on(u"whoami"_s, s, [index](const SocketIo::Message &m) { m.ack({index}); });
        s->on(u"join"_s, s, [s](const SocketIo::Message &m) {
            s->join(m.args().at(0).toString());
            m.ack({true});
        });
        s->on(u"to-room"_s, s, [io](const SocketIo::Message &m) {
            io->to(m.args().at(0).toString()).emitEvent(u"news"_s, {m.args().at(1)});
            m.ack({true});
        });
        s->on(u"to-room-no-compress"_s, s, [io](const SocketIo::Message &m) {
            io->to(m.args().at(0).toString()).compress(false).emitEvent(u"news"_s, {m.args().at(1)});
            m.ack({true});
        });
        s->on(u"ask-all"_s, s, [io, s](const SocketIo::Message &m) {
            SocketIo::AckReply *reply = io->timeout(5s).emitWithAck(u"question"_s, {});
            QObject::connect(reply, &SocketIo::AckReply::finished, s, [m, reply] {
                m.ack({int(reply->error()), reply->responses()});
            });
        });
        s->on(u"fetch"_s, s, [io, s](const SocketIo::Message &m) {
            const QString room = m.args().at(0).toString();
            auto done = [m](const QList<SocketIo::RemoteSocket> &sockets) {
                QCborArray list;
                for (const SocketIo::RemoteSocket &r : sockets)
                    list.append(QCborArray{r.id(), r.data().toMap().value(u"worker"_s)});
                m.ack({list});
            };
            if (room.isEmpty())
                io->fetchSockets(s, done);
            else
                io->in(room).fetchSockets(s, done);
        });
        s->on(u"sockets-join"_s, s, [io](const SocketIo::Message &m) {
            io->socketsJoin({m.args().at(0).toString()});
            m.ack({true});
        });
        s->on(u"sockets-leave"_s, s, [io](const SocketIo::Message &m) {
            io->socketsLeave({m.args().at(0).toString()});
            m.ack({true});
        });
        s->on(u"disconnect-room"_s, s, [io](const SocketIo::Message &m) {
            io->in(m.args().at(0).toString()).disconnectSockets();
            m.ack({true});
        });
        s->on(u"remote-emit"_s, s, [io, s](const SocketIo::Message &m) {
            // fetchSockets, then emit to each RemoteSocket (through this worker's adapter)
            io->fetchSockets(s, [m](const QList<SocketIo::RemoteSocket> &sockets) {
                for (const SocketIo::RemoteSocket &r : sockets)
                    r.emitEvent(u"direct"_s, {r.id()});
                m.ack({int(sockets.size())});
            });
        });
        s->on(u"server-side"_s, s, [io](const SocketIo::Message &m) {
            m.ack({io->serverSideEmit(u"hello"_s, {m.args().at(0)})});
        });
        s->on(u"server-side-ack"_s, s, [io, s](const SocketIo::Message &m) {
            io->serverSideEmitWithAck(u"count"_s, {}, s, [m](const QString &error, const QCborArray &responses) {
                m.ack({error, responses});
            });
        });
        s->on(u"server-count"_s, s, [s](const SocketIo::Message &m) {
            s->nsp()->adapter()->serverCount([m](int count) { m.ack({count}); });
        });
    });
}

// One of our clients with the worker that serves it.
struct Peer
{
    std::unique_ptr<SocketIo::Client> client;
    SocketIo::ClientSocket *socket = nullptr;
    int worker = -1;
    QList<SocketIo::Message> received;   // every event, in order
};

} // namespace

class tst_ServerWorkers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void clientsAreSpreadOverWorkers();
    void roomBroadcastReachesEveryWorker();
    void localFlagStaysOnOneWorker();
    void broadcastWithAckCollectsEveryWorker();
    void fetchSocketsJoinLeaveDisconnectAcrossWorkers();
    void remoteSocketEmitReachesOtherWorker();
    void serverSideEmitBetweenWorkers();
    void serverCountIsWorkerCount();
    void pollingClientsOfOurOwnStayOnTheirSession();
    void keepAliveConnectionCarriesTwoWorkersSessions();
    void pipelinedRequestsOfTwoSessionsAreHandedOver();
    void upgradeRequestHandedToSessionWorker();
    void peerVanishingDuringHandOverDisturbsNothing();
    void unknownSessionAnswered400OnEveryWorker();
    void jsClientPollingOnly();
    void jsClientUpgradesToWebSocket();
    void recoveryOnAnotherWorker();
    void dynamicNamespaceSpansOnlyWorkersThatHaveIt();
    void invokeRunsOnTheWorkerThread();
    void workersRunOnTheOwnersKindOfDispatcher();
    void headerHooksRunOnTheServingWorker();
    void middlewaresRunOnTheSessionsWorker();
    void closeWithConnectedClients();
    void singleWorkerStillServes();
    void adminShowsEachWorkerAsAServer();
    void generatedIdsAreUniqueAcrossWorkers();
    void requestRightAfterTheHandshakeFindsItsWorker();
    void compressFlagCrossesWorkers();

private:
    std::unique_ptr<Peer> connectPeer(bool polling, bool websocket);
    std::vector<std::unique_ptr<Peer>> connectPeers(int count, bool polling = false, bool websocket = true);
    QCborArray call(Peer &peer, const QString &event, const QCborArray &args = {});
    QUrl url() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(m_workers->serverPort())); }
    QByteArray handshake(RawHttpClient &http);
    void restartWithPatientTimeouts();

    std::unique_ptr<SocketIo::ServerWorkers> m_workers;
};

void tst_ServerWorkers::initTestCase()
{
    sioRegisterMetaTypes();
}

// The raw polling peers of the hand-over tests hold sessions without polling and join no namespace
// for a while: with the short heartbeat and connect timeout of sioTestOptions() their sessions would
// end whenever a test takes longer than half a second (ASan, two test processes per core), which is
// not what these tests are about.
void tst_ServerWorkers::restartWithPatientTimeouts()
{
    m_workers.reset();
    SocketIo::ServerOptions options = sioTestOptions();
    options.pingInterval = 25s;
    options.pingTimeout = 20s;
    options.connectTimeout = 45s;
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, options, setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
}

void tst_ServerWorkers::init()
{
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, sioTestOptions(), setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
    QCOMPARE(m_workers->workerCount(), Workers);
}

void tst_ServerWorkers::cleanup()
{
    m_workers.reset();
}

std::unique_ptr<Peer> tst_ServerWorkers::connectPeer(bool polling, bool websocket)
{
    auto peer = std::make_unique<Peer>();
    SocketIo::ClientOptions options;
    options.polling = polling;
    options.websocket = websocket;
    options.reconnection = false;
    peer->client = std::make_unique<SocketIo::Client>(url(), options);
    peer->socket = peer->client->socket();
    Peer *p = peer.get();
    QObject::connect(peer->socket, &SocketIo::ClientSocket::eventReceived, peer->socket,
                     [p](const SocketIo::Message &m) {
        if (m.event() == u"question"_s)
            m.ack({p->worker});
        p->received.append(m);
    });
    if (!QTest::qWaitFor([p] { return p->socket->isConnected(); }, 10000))
        return nullptr;
    const QCborArray who = call(*peer, u"whoami"_s);
    peer->worker = who.isEmpty() ? -1 : int(who.at(0).toInteger(-1));
    return peer;
}

std::vector<std::unique_ptr<Peer>> tst_ServerWorkers::connectPeers(int count, bool polling, bool websocket)
{
    std::vector<std::unique_ptr<Peer>> peers;
    for (int i = 0; i < count; ++i)
        peers.push_back(connectPeer(polling, websocket));
    return peers;
}

QCborArray tst_ServerWorkers::call(Peer &peer, const QString &event, const QCborArray &args)
{
    auto reply = keep(peer.socket->emitWithAck(event, args, 10s));
    QSignalSpy finished(reply.get(), &SocketIo::AckReply::finished);
    if (!finished.wait(10000) && finished.isEmpty())
        return {};
    if (reply->error() != SocketIo::AckReply::Error::NoError)
        return {};
    return reply->args();
}

QByteArray tst_ServerWorkers::handshake(RawHttpClient &http)
{
    const RawHttpResponse r = http.request("GET", "/socket.io/?EIO=4&transport=polling");
    if (r.status != 200 || !r.body.startsWith('0'))
        return {};
    return QJsonDocument::fromJson(r.body.mid(1)).object().value(u"sid"_s).toString().toLatin1();
}

// Round-robin over the workers: four WebSocket clients, one TCP connection each, two per worker;
// each worker counts its own sessions.
void tst_ServerWorkers::clientsAreSpreadOverWorkers()
{
    const auto peers = connectPeers(4);
    QSet<int> workers;
    for (const auto &p : peers) {
        QVERIFY(p);
        QVERIFY(p->worker >= 0 && p->worker < Workers);
        workers.insert(p->worker);
    }
    QCOMPARE(workers.size(), Workers);
    QTRY_COMPARE(m_workers->clientsCount(), 4);
    QCOMPARE(m_workers->clientsCount(0), 2);
    QCOMPARE(m_workers->clientsCount(1), 2);
}

void tst_ServerWorkers::roomBroadcastReachesEveryWorker()
{
    const auto peers = connectPeers(4);
    for (const auto &p : peers)
        QVERIFY(p);
    // one room member on each worker, sender not in the room
    Peer *member[Workers] = {nullptr, nullptr};
    Peer *other = nullptr;
    for (const auto &p : peers) {
        if (!member[p->worker])
            member[p->worker] = p.get();
        else if (!other)
            other = p.get();
    }
    QVERIFY(member[0] && member[1] && other);
    QCOMPARE(call(*member[0], u"join"_s, {u"r"_s}), QCborArray{true});
    QCOMPARE(call(*member[1], u"join"_s, {u"r"_s}), QCborArray{true});
    QCOMPARE(call(*other, u"to-room"_s, {u"r"_s, u"hello"_s}), QCborArray{true});
    auto count = [](Peer *p, const QString &event) {
        int n = 0;
        for (const SocketIo::Message &m : std::as_const(p->received))
            n += m.event() == event;
        return n;
    };
    QTRY_COMPARE(count(member[0], u"news"_s), 1);
    QTRY_COMPARE(count(member[1], u"news"_s), 1);
    // the sender's and the fourth client's round trip to their workers ran after the broadcast was
    // relayed: nothing arrives for non-members
    for (const auto &p : peers) {
        QVERIFY(!call(*p, u"whoami"_s).isEmpty());
        if (p.get() != member[0] && p.get() != member[1])
            QCOMPARE(count(p.get(), u"news"_s), 0);
    }
    QCOMPARE(member[1]->received.last().args().at(0).toString(), u"hello"_s);
}

void tst_ServerWorkers::localFlagStaysOnOneWorker()
{
    // serverSideEmit's handler answers with io->local(): only the receiving worker's clients hear it
    const auto peers = connectPeers(4);
    for (const auto &p : peers)
        QVERIFY(p);
    Peer *sender = peers.front().get();
    QCOMPARE(call(*sender, u"server-side"_s, {42}), QCborArray{true});
    for (const auto &p : peers) {
        if (p->worker == sender->worker)
            continue;
        QTRY_VERIFY(!p->received.isEmpty());
        QCOMPARE(p->received.last().event(), u"sse-received"_s);
        QCOMPARE(p->received.last().args().at(1).toInteger(), p->worker);
    }
    for (const auto &p : peers) {
        QVERIFY(!call(*p, u"whoami"_s).isEmpty());
        if (p->worker == sender->worker)
            QVERIFY2(p->received.isEmpty(), "the sender's worker must not get its own serverSideEmit");
    }
}

void tst_ServerWorkers::broadcastWithAckCollectsEveryWorker()
{
    const auto peers = connectPeers(4);
    for (const auto &p : peers)
        QVERIFY(p);
    const QCborArray answer = call(*peers.front(), u"ask-all"_s);
    QCOMPARE(answer.size(), 2);
    QCOMPARE(answer.at(0).toInteger(), int(SocketIo::AckReply::Error::NoError));
    const QCborArray responses = answer.at(1).toArray();
    QCOMPARE(responses.size(), 4);   // every client of every worker, before the 5 s timeout
    QMap<int, int> perWorker;
    for (const QCborValue &v : responses)
        ++perWorker[int(v.toInteger())];
    QCOMPARE(perWorker.value(0), 2);
    QCOMPARE(perWorker.value(1), 2);
}

void tst_ServerWorkers::fetchSocketsJoinLeaveDisconnectAcrossWorkers()
{
    const auto peers = connectPeers(4);
    for (const auto &p : peers)
        QVERIFY(p);
    Peer &asker = *peers.front();
    // fetchSockets: all four, with the worker each lives on (from socket data)
    QCborArray all = call(asker, u"fetch"_s, {QString()}).at(0).toArray();
    QCOMPARE(all.size(), 4);
    QMap<QString, int> expected, got;
    for (const auto &p : peers)
        expected.insert(p->socket->id(), p->worker);
    for (const QCborValue &v : all)
        got.insert(v.toArray().at(0).toString(), int(v.toArray().at(1).toInteger()));
    QCOMPARE(got, expected);

    // socketsJoin from one worker puts every socket of every worker in the room
    QCOMPARE(call(asker, u"sockets-join"_s, {u"everyone"_s}), QCborArray{true});
    QTRY_COMPARE(call(asker, u"fetch"_s, {u"everyone"_s}).at(0).toArray().size(), 4);
    // socketsLeave likewise
    QCOMPARE(call(asker, u"sockets-leave"_s, {u"everyone"_s}), QCborArray{true});
    QTRY_COMPARE(call(asker, u"fetch"_s, {u"everyone"_s}).at(0).toArray().size(), 0);

    // disconnectSockets on a room with one member per worker, asked by a third socket
    Peer *member[Workers] = {nullptr, nullptr};
    for (const auto &p : peers) {
        if (p.get() != &asker && !member[p->worker])
            member[p->worker] = p.get();
    }
    QVERIFY(member[0] && member[1]);
    QSignalSpy gone0(member[0]->socket, &SocketIo::ClientSocket::disconnected);
    QSignalSpy gone1(member[1]->socket, &SocketIo::ClientSocket::disconnected);
    QCOMPARE(call(*member[0], u"join"_s, {u"doomed"_s}), QCborArray{true});
    QCOMPARE(call(*member[1], u"join"_s, {u"doomed"_s}), QCborArray{true});
    QCOMPARE(call(asker, u"disconnect-room"_s, {u"doomed"_s}), QCborArray{true});
    QTRY_COMPARE(gone0.size(), 1);
    QTRY_COMPARE(gone1.size(), 1);
    QCOMPARE(gone0.first().at(0).value<SocketIo::DisconnectReason>(), SocketIo::DisconnectReason::IoServerDisconnect);
    QCOMPARE(gone1.first().at(0).value<SocketIo::DisconnectReason>(), SocketIo::DisconnectReason::IoServerDisconnect);
    QTRY_COMPARE(call(asker, u"fetch"_s, {QString()}).at(0).toArray().size(), 2);
}

void tst_ServerWorkers::remoteSocketEmitReachesOtherWorker()
{
    const auto peers = connectPeers(4);
    for (const auto &p : peers)
        QVERIFY(p);
    QCOMPARE(call(*peers.front(), u"remote-emit"_s), QCborArray{4});
    for (const auto &p : peers) {
        QTRY_VERIFY(!p->received.isEmpty());
        QCOMPARE(p->received.last().event(), u"direct"_s);
        QCOMPARE(p->received.last().args().at(0).toString(), p->socket->id());
    }
}

void tst_ServerWorkers::serverSideEmitBetweenWorkers()
{
    const auto peers = connectPeers(2);
    for (const auto &p : peers)
        QVERIFY(p);
    QVERIFY(peers.at(0)->worker != peers.at(1)->worker);
    // with ack: the one other worker answers with its index
    const QCborArray answer = call(*peers.at(0), u"server-side-ack"_s);
    QCOMPARE(answer.size(), 2);
    QCOMPARE(answer.at(0).toString(), QString());
    QCOMPARE(answer.at(1).toArray(), QCborArray{peers.at(1)->worker});
    // without ack: the other worker's Namespace signal fires (its handler tells its clients)
    QCOMPARE(call(*peers.at(0), u"server-side"_s, {7}), QCborArray{true});
    // (serverSideEventReceived fires for the "count" request above too, so look for "hello")
    auto hello = [&peers] {
        for (const SocketIo::Message &m : std::as_const(peers.at(1)->received)) {
            if (m.event() == u"sse-received"_s && m.args().at(0) == u"hello"_s)
                return m.args();
        }
        return QCborArray();
    };
    QTRY_VERIFY(!hello().isEmpty());
    QCOMPARE(hello(), (QCborArray{u"hello"_s, peers.at(1)->worker, 7}));
}

void tst_ServerWorkers::serverCountIsWorkerCount()
{
    const auto peers = connectPeers(2);
    for (const auto &p : peers) {
        QVERIFY(p);
        QCOMPARE(call(*p, u"server-count"_s), QCborArray{Workers});
    }
    QCOMPARE(m_workers->hub().serverCount(u"/"_s), Workers);
}

// Our client over long-polling: its requests go over several pooled connections, which the
// acceptor hands to both workers in turn; every request reaches the session's worker.
void tst_ServerWorkers::pollingClientsOfOurOwnStayOnTheirSession()
{
    const auto peers = connectPeers(3, true, false);
    for (const auto &p : peers)
        QVERIFY(p);
    for (int round = 0; round < 10; ++round) {
        for (const auto &p : peers)
            QCOMPARE(call(*p, u"whoami"_s), QCborArray{p->worker});
    }
    const QCborArray answer = call(*peers.front(), u"ask-all"_s);
    QCOMPARE(answer.at(1).toArray().size(), 3);
    QCOMPARE(m_workers->clientsCount(), 3);
    // a parked GET and a POST at the same time need two connections per client: some of them were
    // accepted by the worker that does not own the session
    QVERIFY(m_workers->handOverCount() > 0);
}

// One keep-alive connection carries requests of two sessions owned by different workers (as
// browsers and QNAM pool connections per host): each is answered by its session's worker, and the
// connection goes on serving after each hand-over.
void tst_ServerWorkers::keepAliveConnectionCarriesTwoWorkersSessions()
{
    restartWithPatientTimeouts();
    RawHttpClient a, b;
    QVERIFY(a.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidA = handshake(a);   // first connection: worker 0
    QVERIFY(!sidA.isEmpty());
    QTRY_COMPARE(m_workers->clientsCount(0), 1);
    QVERIFY(b.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidB = handshake(b);   // second connection: worker 1
    QVERIFY(!sidB.isEmpty());
    QTRY_COMPARE(m_workers->clientsCount(1), 1);

    auto target = [](const QByteArray &sid) -> QByteArray { return "/socket.io/?EIO=4&transport=polling&sid=" + sid; };
    // Socket.IO CONNECT for B over A's connection (worker 0 hands it to worker 1), then for A
    // (handed back), then the CONNECT replies of both over the same connection
    for (const QByteArray &sid : {sidB, sidA}) {
        const RawHttpResponse r = a.request("POST", target(sid), "40");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("ok"));
    }
    for (const QByteArray &sid : {sidB, sidA}) {
        const RawHttpResponse r = a.request("GET", target(sid));
        QCOMPARE(r.status, 200);
        QVERIFY2(r.body.startsWith("40{\"sid\":"), r.body.constData());
    }
    QVERIFY(a.isConnected());
    QCOMPARE(m_workers->handOverCount(), quint64(4));   // B to 1, A back to 0, and again
    // and each session's worker answers it: "whoami" over polling, EVENT with ack id 1
    for (const QByteArray &sid : {sidA, sidB}) {
        QCOMPARE(a.request("POST", target(sid), R"(421["whoami"])").body, QByteArray("ok"));
        const RawHttpResponse r = a.request("GET", target(sid));
        QCOMPARE(r.body, sid == sidA ? QByteArray("431[0]") : QByteArray("431[1]"));
    }
}

// Requests of two sessions sent in one write: the second is read (pipelined) while the first is
// served, so its head is handed over from parsed bytes rather than from the socket.
void tst_ServerWorkers::pipelinedRequestsOfTwoSessionsAreHandedOver()
{
    restartWithPatientTimeouts();
    RawHttpClient a, b;
    QVERIFY(a.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidA = handshake(a);
    QVERIFY(!sidA.isEmpty());
    QVERIFY(b.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidB = handshake(b);
    QVERIFY(!sidB.isEmpty());
    QTRY_COMPARE(m_workers->clientsCount(0), 1);
    QTRY_COMPARE(m_workers->clientsCount(1), 1);
    auto post = [](const QByteArray &sid, const QByteArray &body) -> QByteArray {
        return "POST /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    };
    a.sendRaw(post(sidA, "40") + post(sidB, "40") + post(sidA, R"(421["whoami"])") + post(sidB, R"(421["whoami"])"));
    for (int i = 0; i < 4; ++i) {
        const RawHttpResponse r = a.waitForResponse();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("ok"));
    }
    const RawHttpResponse ra = a.request("GET", "/socket.io/?EIO=4&transport=polling&sid=" + sidA);
    const RawHttpResponse rb = a.request("GET", "/socket.io/?EIO=4&transport=polling&sid=" + sidB);
    QVERIFY2(ra.body.startsWith("40{") && ra.body.endsWith("\x1e" "431[0]"), ra.body.constData());
    QVERIFY2(rb.body.startsWith("40{") && rb.body.endsWith("\x1e" "431[1]"), rb.body.constData());
}

// The WebSocket upgrade of a polling session, accepted by the other worker: handed over with the
// request still unread, so the session's worker answers 101 and the probe.
void tst_ServerWorkers::upgradeRequestHandedToSessionWorker()
{
    restartWithPatientTimeouts();
    RawHttpClient a;
    QVERIFY(a.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sid = handshake(a);   // worker 0
    QVERIFY(!sid.isEmpty());
    QTRY_COMPARE(m_workers->clientsCount(0), 1);
    QWebSocket ws;   // the next connection: worker 1
    QSignalSpy connected(&ws, &QWebSocket::connected);
    QSignalSpy text(&ws, &QWebSocket::textMessageReceived);
    ws.open(QUrl(u"ws://127.0.0.1:%1/socket.io/?EIO=4&transport=websocket&sid=%2"_s.arg(m_workers->serverPort())
                     .arg(QString::fromLatin1(sid))));
    QVERIFY(connected.wait(5000));
    QCOMPARE(m_workers->handOverCount(), quint64(1));
    ws.sendTextMessage(u"2probe"_s);
    QTRY_COMPARE(text.size(), 1);
    QCOMPARE(text.first().at(0).toString(), u"3probe"_s);
    ws.sendTextMessage(u"5"_s);   // upgrade done; then Socket.IO CONNECT and "whoami" over it
    ws.sendTextMessage(u"40"_s);
    QTRY_COMPARE(text.size(), 2);
    QVERIFY(text.at(1).at(0).toString().startsWith(u"40{\"sid\":"_s));
    ws.sendTextMessage(u"421[\"whoami\"]"_s);
    QTRY_COMPARE(text.size(), 3);
    QCOMPARE(text.at(2).at(0).toString(), u"431[0]"_s);
    ws.close();
}

// A peer that goes away in the middle of a POST body, after its connection was handed to the
// session's worker: that session ends as on a single server (a data request closed prematurely),
// the other sessions of both workers go on, and both workers accept new connections.
void tst_ServerWorkers::peerVanishingDuringHandOverDisturbsNothing()
{
    restartWithPatientTimeouts();
    RawHttpClient a, b, c;
    QVERIFY(a.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidA = handshake(a);   // worker 0
    QVERIFY(b.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidB = handshake(b);   // worker 1
    QVERIFY(c.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sidC = handshake(c);   // worker 0
    QVERIFY(!sidA.isEmpty() && !sidB.isEmpty() && !sidC.isEmpty());
    QTRY_COMPARE(m_workers->clientsCount(0), 2);
    QTRY_COMPARE(m_workers->clientsCount(1), 1);
    const QByteArray path = "/socket.io/?EIO=4&transport=polling&sid=";
    {
        RawHttpClient gone;   // worker 1, handed to worker 0
        QVERIFY(gone.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        gone.sendRaw("POST " + path + sidC + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n40");
        QTRY_COMPARE(m_workers->handOverCount(), quint64(1));
        gone.abort();
    }
    QTRY_COMPARE(m_workers->clientsCount(0), 1);
    QCOMPARE(c.request("GET", path + sidC).body, QByteArray(R"({"code":1,"message":"Session ID unknown"})"));
    for (const QByteArray &sid : {sidA, sidB}) {
        QCOMPARE(a.request("POST", path + sid, "40").body, QByteArray("ok"));
        QVERIFY(a.request("GET", path + sid).body.startsWith("40{"));
    }
    for (int i = 0; i < Workers; ++i) {
        RawHttpClient fresh;
        QVERIFY(fresh.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        QVERIFY(!handshake(fresh).isEmpty());
    }
    QCOMPARE(m_workers->clientsCount(), 4);
}

void tst_ServerWorkers::unknownSessionAnswered400OnEveryWorker()
{
    // two connections: one per worker; each answers like a single server
    for (int i = 0; i < Workers; ++i) {
        RawHttpClient http;
        QVERIFY(http.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        const RawHttpResponse r = http.request("GET", "/socket.io/?EIO=4&transport=polling&sid=nope");
        QCOMPARE(r.status, 400);
        QCOMPARE(r.body, QByteArray(R"({"code":1,"message":"Session ID unknown"})"));
        const RawHttpResponse w = http.request("POST", "/socket.io/?EIO=4&transport=polling&sid=nope", "40");
        QCOMPARE(w.status, 400);
    }
    // a WebSocket upgrade naming an unknown session, on each worker
    for (int i = 0; i < Workers; ++i) {
        RawHttpClient http;
        QVERIFY(http.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        const RawHttpResponse r = http.request("GET", "/socket.io/?EIO=4&transport=websocket&sid=nope", {},
                                               {"Upgrade: websocket", "Connection: Upgrade",
                                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                                "Sec-WebSocket-Version: 13"});
        QCOMPARE(r.status, 400);
        QCOMPARE(r.body, QByteArray("Session ID unknown"));   // engine.io's refused-upgrade body
    }
    QCOMPARE(m_workers->handOverCount(), quint64(0));
    // a closed session is unknown everywhere too
    RawHttpClient a;
    QVERIFY(a.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const QByteArray sid = handshake(a);
    QVERIFY(!sid.isEmpty());
    QCOMPARE(a.request("POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid, "1").body, QByteArray("ok"));
    QTRY_COMPARE(m_workers->clientsCount(), 0);
    for (int i = 0; i < Workers; ++i) {
        RawHttpClient http;
        QVERIFY(http.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        const RawHttpResponse r = http.request("GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid);
        QCOMPARE(r.body, QByteArray(R"({"code":1,"message":"Session ID unknown"})"));
    }
}

namespace {

// The npm client: connects, then asks "whoami" \a rounds times and collects the answers.
void runJsClient(quint16 port, const QString &transports, bool expectUpgrade, int expectedWorkers)
{
    SocketIo::Test::NodeProcess node;
    QVERIFY(node.start(u"client-scenario.js"_s,
                       {u"--url"_s, u"http://127.0.0.1:%1"_s.arg(port), u"--transports"_s, transports}));
    const QJsonObject connected = node.waitForEvent(u"connect"_s);
    QVERIFY2(!connected.isEmpty(), qPrintable(node.diagnostics()));
    if (expectUpgrade) {
        QVERIFY2(!node.waitForEvent(u"upgrade"_s).isEmpty(), qPrintable(node.diagnostics()));
    }
    int worker = -1;
    for (int i = 0; i < 20; ++i) {
        node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"whoami"_s}, {u"ack"_s, true}, {u"id"_s, i}});
        const QJsonObject ack = node.waitForEvent(u"ack"_s);
        QVERIFY2(!ack.isEmpty(), qPrintable(node.diagnostics()));
        QCOMPARE(ack.value(u"id"_s).toInt(), i);
        const int w = ack.value(u"args"_s).toArray().at(0).toInt(-1);
        QVERIFY(w >= 0 && w < expectedWorkers);
        if (worker < 0)
            worker = w;
        QCOMPARE(w, worker);   // one socket, one worker
    }
    node.send({{u"cmd"_s, u"state"_s}});
    const QJsonObject state = node.waitForEvent(u"state"_s);
    QCOMPARE(state.value(u"connected"_s).toBool(), true);
    QCOMPARE(state.value(u"transport"_s).toString(), expectUpgrade ? u"websocket"_s : u"polling"_s);
    for (const QJsonObject &line : node.lines())
        QVERIFY2(line.value(u"event"_s).toString() != u"disconnect"_s, qPrintable(node.diagnostics()));
}

} // namespace

void tst_ServerWorkers::jsClientPollingOnly()
{
    SOCKETIO_REQUIRE_NODE();
    // Node's client opens a new TCP connection for most requests: they land on both workers
    runJsClient(m_workers->serverPort(), u"polling"_s, false, Workers);
}

void tst_ServerWorkers::jsClientUpgradesToWebSocket()
{
    SOCKETIO_REQUIRE_NODE();
    // the upgrade request of a polling session may be accepted by the other worker
    for (int i = 0; i < 2; ++i)
        runJsClient(m_workers->serverPort(), u"polling,websocket"_s, true, Workers);
}

// Connection state recovery: the npm client reconnects to the other worker, which finds the
// session persisted by the first and delivers what was broadcast (from another worker) meanwhile.
void tst_ServerWorkers::recoveryOnAnotherWorker()
{
    SOCKETIO_REQUIRE_NODE();
    SocketIo::ServerOptions options = sioTestOptions();
    options.connectionStateRecovery.enabled = true;
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, options, setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));

    SocketIo::Test::NodeProcess node;
    const QJsonObject managerOptions{{u"reconnectionDelay"_s, 100}, {u"reconnectionDelayMax"_s, 100},
                                     {u"randomizationFactor"_s, 0}};
    QVERIFY(node.start(u"client-scenario.js"_s,
                       {u"--url"_s, url().toString(), u"--transports"_s, u"websocket"_s, u"--reconnection"_s,
                        u"true"_s, u"--options"_s,
                        QString::fromUtf8(QJsonDocument(managerOptions).toJson(QJsonDocument::Compact))}));
    const QJsonObject first = node.waitForEvent(u"connect"_s);
    QVERIFY2(!first.isEmpty(), qPrintable(node.diagnostics()));
    QCOMPARE(first.value(u"recovered"_s).toBool(), false);
    auto ask = [&node](const QString &event, const QJsonArray &args, int id) {
        node.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, event}, {u"args"_s, args}, {u"ack"_s, true}, {u"id"_s, id}});
        return node.waitForLine([id](const QJsonObject &l) {
            return l.value(u"event"_s).toString() == u"ack"_s && l.value(u"id"_s).toInt() == id;
        });
    };
    const int firstWorker = ask(u"whoami"_s, {}, 1).value(u"args"_s).toArray().at(0).toInt(-1);
    QCOMPARE(firstWorker, 0);   // first connection of a fresh ServerWorkers
    QVERIFY(!ask(u"join"_s, {u"room"_s}, 2).isEmpty());

    // a client of the other worker broadcasts to the room: live, with an offset
    const auto other = connectPeer(false, true);
    QVERIFY(other);
    QCOMPARE(other->worker, 1);
    QCOMPARE(call(*other, u"to-room"_s, {u"room"_s, u"live"_s}), QCborArray{true});
    const QJsonObject live = node.waitForReceived(u"news"_s);
    QCOMPARE(live.value(u"args"_s).toArray().at(0).toString(), u"live"_s);
    QVERIFY(live.value(u"args"_s).toArray().at(1).isString());   // the offset

    // one more connection, so that the client's next one is accepted by worker 1
    RawHttpClient spacer;
    QVERIFY(spacer.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    QCOMPARE(spacer.request("GET", "/elsewhere").status, 404);

    node.send({{u"cmd"_s, u"close-engine"_s}});
    QVERIFY2(!node.waitForEvent(u"disconnect"_s).isEmpty(), qPrintable(node.diagnostics()));
    const QJsonObject again = node.waitForEvent(u"connect"_s, 15000);
    QVERIFY2(again.value(u"recovered"_s).toBool(), qPrintable(node.diagnostics()));
    QCOMPARE(again.value(u"id"_s).toString(), first.value(u"id"_s).toString());
    QCOMPARE(ask(u"whoami"_s, {}, 3).value(u"args"_s).toArray().at(0).toInt(-1), 1);
    // the missed broadcast came with the recovery, once
    const QJsonObject missed = node.waitForReceived(u"news"_s);
    QCOMPARE(missed.value(u"args"_s).toArray().at(0).toString(), u"missed"_s);
    // live again on the new worker, rooms restored: once more from the other client
    QCOMPARE(call(*other, u"to-room"_s, {u"room"_s, u"after"_s}), QCborArray{true});
    const QJsonObject after = node.waitForReceived(u"news"_s);
    QCOMPARE(after.value(u"args"_s).toArray().at(0).toString(), u"after"_s);
    int news = 0;
    for (const QJsonObject &line : node.lines())
        news += line.value(u"name"_s).toString() == u"news"_s;
    QCOMPARE(news, 3);
}

void tst_ServerWorkers::dynamicNamespaceSpansOnlyWorkersThatHaveIt()
{
    const auto peers = connectPeers(2);   // "/" on worker 0 and on worker 1
    for (const auto &p : peers)
        QVERIFY(p);
    Peer *onWorker[Workers] = {nullptr, nullptr};
    for (const auto &p : peers)
        onWorker[p->worker] = p.get();
    QVERIFY(onWorker[0] && onWorker[1]);
    auto open = [](Peer *p) {
        SocketIo::ClientSocket *dyn = p->client->socket(u"/dyn-1"_s);
        QObject::connect(dyn, &SocketIo::ClientSocket::eventReceived, dyn,
                         [p](const SocketIo::Message &m) { p->received.append(m); });
        return QTest::qWaitFor([dyn] { return dyn->isConnected(); }, 10000) ? dyn : nullptr;
    };
    auto ask = [](SocketIo::ClientSocket *socket, const QString &event, const QCborArray &args = {}) {
        auto reply = keep(socket->emitWithAck(event, args, 10s));
        QSignalSpy finished(reply.get(), &SocketIo::AckReply::finished);
        if (finished.isEmpty() && !finished.wait(10000))
            return QCborArray();
        return reply->args();
    };
    // only worker 0 has /dyn-1: it counts one server, and its broadcasts stay there
    SocketIo::ClientSocket *dyn0 = open(onWorker[0]);
    QVERIFY(dyn0);
    QCOMPARE(ask(dyn0, u"server-count"_s), QCborArray{1});
    QCOMPARE(m_workers->hub().serverCount(u"/dyn-1"_s), 1);
    // worker 1 creates it for its own client: now both have it, and a broadcast reaches both
    SocketIo::ClientSocket *dyn1 = open(onWorker[1]);
    QVERIFY(dyn1);
    QCOMPARE(ask(dyn0, u"server-count"_s), QCborArray{2});
    QCOMPARE(ask(dyn1, u"to-all"_s, {u"x"_s}), QCborArray{true});
    for (Peer *p : onWorker) {
        QTRY_VERIFY(std::any_of(p->received.cbegin(), p->received.cend(),
                                [](const SocketIo::Message &m) { return m.event() == u"dyn-news"_s; }));
    }
}

void tst_ServerWorkers::invokeRunsOnTheWorkerThread()
{
    const auto peers = connectPeers(2);
    for (const auto &p : peers)
        QVERIFY(p);
    std::atomic<QThread *> ranOn{nullptr};
    // from the owner's thread: worker 1's Server emits to "/", which reaches every worker's clients
    QVERIFY(m_workers->invoke(1, [&ranOn](SocketIo::Server *io) {
        ranOn = QThread::currentThread();
        io->emitEvent(u"from-owner"_s, {1});
    }));
    for (const auto &p : peers) {
        QTRY_VERIFY(!p->received.isEmpty());
        QCOMPARE(p->received.last().event(), u"from-owner"_s);
    }
    QVERIFY(ranOn.load() && ranOn.load() != QThread::currentThread());
    QVERIFY(!m_workers->invoke(Workers, [](SocketIo::Server *) {}));   // no such worker
}

// Under an owner on EpollEventDispatcher (the <test>_epoll run) every worker thread gets one of its
// own; otherwise the workers run on Qt's default dispatcher.
void tst_ServerWorkers::workersRunOnTheOwnersKindOfDispatcher()
{
    const QByteArray owner = QAbstractEventDispatcher::instance()->metaObject()->className();
    const bool epoll = owner == "SocketIo::EpollEventDispatcher";
    qInfo("owner's thread runs %s", owner.constData());
    for (int i = 0; i < Workers; ++i) {
        struct Seen
        {
            std::atomic<QAbstractEventDispatcher *> dispatcher{nullptr};
            QByteArray name;
            std::atomic<bool> done{false};
        };
        // shared: the call may still run after a failed wait returned
        const auto seen = std::make_shared<Seen>();
        QVERIFY(m_workers->invoke(i, [seen](SocketIo::Server *) {
            seen->dispatcher = QAbstractEventDispatcher::instance();
            seen->name = seen->dispatcher.load()->metaObject()->className();
            seen->done = true;
        }));
        QTRY_VERIFY(seen->done.load());
        QVERIFY(seen->dispatcher.load() != QAbstractEventDispatcher::instance());
        if (epoll)
            QCOMPARE(seen->name, owner);
        else
            QVERIFY2(seen->name != "SocketIo::EpollEventDispatcher", seen->name.constData());
    }
}

// initialHeaders / responseHeaders run on the worker that serves the request, and the WebSocket
// handshakes of connections ServerWorkers accepted carry their headers as EngineServer's own do.
void tst_ServerWorkers::headerHooksRunOnTheServingWorker()
{
    m_workers.reset();
    SocketIo::ServerOptions options = sioTestOptions();
    options.initialHeaders = [](SocketIo::EngineHeaders &headers, const SocketIo::EngineRequest &) {
        headers.emplaceBack("X-Initial-On", QThread::currentThread()->objectName().toUtf8());
    };
    options.responseHeaders = [](SocketIo::EngineHeaders &headers, const SocketIo::EngineRequest &) {
        headers.emplaceBack("X-Every-On", QThread::currentThread()->objectName().toUtf8());
    };
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, options, setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
    QSet<QByteArray> workers;
    for (int i = 0; i < Workers; ++i) {
        RawHttpClient ws;
        QVERIFY(ws.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        const RawHttpResponse r = ws.request("GET", "/socket.io/?EIO=4&transport=websocket", {},
                                             {"Upgrade: websocket", "Connection: Upgrade",
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"});
        QCOMPARE(r.status, 101);
        QVERIFY2(r.header("x-initial-on").startsWith("socketio-worker-"), r.header("x-initial-on").constData());
        QCOMPARE(r.header("x-every-on"), r.header("x-initial-on"));
        workers.insert(r.header("x-initial-on"));
    }
    QCOMPARE(workers.size(), Workers);   // connections go to the workers in turn
    RawHttpClient polling;
    QVERIFY(polling.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const RawHttpResponse r = polling.request("GET", "/socket.io/?EIO=4&transport=polling");
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("x-initial-on").startsWith("socketio-worker-"));
}

// Engine middlewares run on the worker that serves the request: for a request of a session, its
// worker, also when another worker accepted the connection and handed it over (each request
// passes them once); a refusal is engine.io's code 3.
void tst_ServerWorkers::middlewaresRunOnTheSessionsWorker()
{
    m_workers.reset();
    SocketIo::ServerOptions options = sioTestOptions();
    auto calls = std::make_shared<std::atomic<int>>(0);
    options.middlewares.append([calls](const SocketIo::EngineRequest &request, SocketIo::EngineHeaders &headers,
                                       const SocketIo::EngineNext &next) {
        ++*calls;
        headers.emplaceBack("X-Mw-On", QThread::currentThread()->objectName().toUtf8());
        next(request.header("x-deny").isEmpty() ? QString() : QStringLiteral("denied"));
    });
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, options, setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
    RawHttpClient first;
    QVERIFY(first.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const RawHttpResponse open = first.request("GET", "/socket.io/?EIO=4&transport=polling");
    QCOMPARE(open.status, 200);
    const QByteArray owner = open.header("x-mw-on");
    QVERIFY2(owner.startsWith("socketio-worker-"), owner.constData());
    const QByteArray sid = QJsonDocument::fromJson(open.body.mid(1)).object().value(u"sid"_s).toString().toLatin1();
    QVERIFY(!sid.isEmpty());
    QCOMPARE(calls->load(), 1);
    // new connections, in turn to each worker: the session's worker answers
    for (int i = 0; i < Workers; ++i) {
        RawHttpClient next;
        QVERIFY(next.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
        const RawHttpResponse r = next.request("POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid, "6");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("ok"));
        QCOMPARE(r.header("x-mw-on"), owner);
    }
    QCOMPARE(calls->load(), 1 + Workers);
    RawHttpClient denied;
    QVERIFY(denied.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    const RawHttpResponse r = denied.request("GET", "/socket.io/?EIO=4&transport=polling", {}, {"X-Deny: 1"});
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, QByteArray(R"({"code":3,"message":"Bad request"})"));
    QVERIFY(r.header("x-mw-on").startsWith("socketio-worker-"));
}

void tst_ServerWorkers::closeWithConnectedClients()
{
    auto peers = connectPeers(2);
    auto polling = connectPeers(2, true, false);
    for (auto &p : polling)
        peers.push_back(std::move(p));
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (const auto &p : peers) {
        QVERIFY(p);
        spies.push_back(std::make_unique<QSignalSpy>(p->socket, &SocketIo::ClientSocket::disconnected));
    }
    QTRY_COMPARE(m_workers->clientsCount(), 4);
    QSignalSpy closed(m_workers.get(), &SocketIo::ServerWorkers::closed);
    m_workers->close();
    QCOMPARE(closed.size(), 1);
    QVERIFY(!m_workers->isListening());
    QCOMPARE(m_workers->clientsCount(), 0);
    for (const auto &spy : spies)
        QTRY_COMPARE(spy->size(), 1);
    m_workers->close();   // twice is fine
    QCOMPARE(closed.size(), 1);
    // nothing listens any more
    RawHttpClient http;
    QVERIFY(!http.connectToHost(QHostAddress::LocalHost, m_workers->serverPort(), 1000)
            || http.request("GET", "/socket.io/?EIO=4&transport=polling", {}, {}, 1000).status == 0);
}

void tst_ServerWorkers::singleWorkerStillServes()
{
    m_workers = std::make_unique<SocketIo::ServerWorkers>(1, sioTestOptions(), setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
    QCOMPARE(m_workers->workerCount(), 1);
    const auto peers = connectPeers(2, true, true);
    for (const auto &p : peers) {
        QVERIFY(p);
        QCOMPARE(p->worker, 0);
    }
    QCOMPARE(call(*peers.front(), u"server-side-ack"_s), (QCborArray{QString(), QCborArray()}));
    QCOMPARE(call(*peers.front(), u"ask-all"_s).at(1).toArray().size(), 2);
}

// The admin namespace on every worker (each its own Instrumentation, as each would be a node of
// a cluster): one admin client gets the server_stats of both workers, each under its own serverId
// ("<host>#<pid>-<index>", like instrument()'s "<host>#<pid>" for cluster workers), and
// Server::workerIndex() tells each server which worker it is.
void tst_ServerWorkers::adminShowsEachWorkerAsAServer()
{
    m_workers.reset();
    std::atomic<int> indexMismatches{0};
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, sioTestOptions(),
                                                          [&indexMismatches](SocketIo::Server *io, int index) {
        if (io->workerIndex() != index)
            ++indexMismatches;
        SocketIo::AdminOptions admin;
        admin.statsInterval = 100ms;
        new SocketIo::Instrumentation(io, admin, io);
    });
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
    SocketIo::ClientOptions options;
    options.reconnection = false;
    SocketIo::Client client(url(), options);
    SocketIo::ClientSocket *admin = client.socket(u"/admin"_s);
    QSet<QString> serverIds;
    QObject::connect(admin, &SocketIo::ClientSocket::eventReceived, admin, [&serverIds](const SocketIo::Message &m) {
        if (m.event() == u"server_stats"_s)
            serverIds.insert(m.args().at(0).toMap().value(u"serverId"_s).toString());
    });
    QTRY_VERIFY(admin->isConnected());
    const QString prefix = QSysInfo::machineHostName() + u'#' + QString::number(QCoreApplication::applicationPid()) + u'-';
    QTRY_COMPARE(serverIds, (QSet<QString>{prefix + u'0', prefix + u'1'}));
    QCOMPARE(indexMismatches.load(), 0);
    SocketIo::Server standalone;
    QCOMPARE(standalone.workerIndex(), -1);
}

// generateId runs on each worker's thread; an id another worker's live session has is refused
// (claimed across the workers at once, so two handshakes at the same moment cannot both get it)
void tst_ServerWorkers::generatedIdsAreUniqueAcrossWorkers()
{
    m_workers.reset();
    SocketIo::ServerOptions options = sioTestOptions();
    options.generateId = [](const SocketIo::EngineRequest &) { return u"the-one"_s; };
    m_workers = std::make_unique<SocketIo::ServerWorkers>(Workers, options, setupWorker);
    QVERIFY(m_workers->listen(QHostAddress::LocalHost, 0));
    RawHttpClient first;   // one TCP connection per worker, round-robin
    RawHttpClient second;
    QVERIFY(first.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    QCOMPARE(handshake(first), QByteArray("the-one"));
    QVERIFY(second.connectToHost(QHostAddress::LocalHost, m_workers->serverPort()));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"generateId gave the id \"the-one\" of a live session"_s));
    const RawHttpResponse r = second.request("GET", "/socket.io/?EIO=4&transport=polling");
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, QByteArray(R"({"code":3,"message":"Bad request"})"));
    QTRY_COMPARE(m_workers->clientsCount(), 1);
    QCOMPARE(m_workers->clientsCount(0) + m_workers->clientsCount(1), 1);
}

// A client that sends its first POST the moment the handshake's answer arrives, on a connection
// the other worker accepted: the session is known across workers before that answer leaves (it
// is written straight to the kernel). A fast client (bench-load) found it unknown about one time
// in ten when the session was registered only after the answer; this blocks on the sockets
// without an event loop, as fast as such a client.
void tst_ServerWorkers::requestRightAfterTheHandshakeFindsItsWorker()
{
    const auto readResponse = [](QTcpSocket &socket, QByteArray &status, QByteArray &body) {
        QByteArray in;
        qsizetype headEnd = -1;
        qsizetype length = -1;
        while (length < 0 || in.size() < headEnd + 4 + length) {
            if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(5000))
                return false;
            in += socket.readAll();
            headEnd = in.indexOf("\r\n\r\n");
            if (headEnd >= 0 && length < 0) {
                const qsizetype at = in.toLower().indexOf("content-length:");
                if (at < 0 || at > headEnd)
                    return false;
                length = in.mid(at + 15, in.indexOf("\r\n", at) - at - 15).trimmed().toLongLong();
            }
        }
        status = in.left(in.indexOf("\r\n"));
        body = in.mid(headEnd + 4, length);
        return true;
    };
    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(m_workers->serverPort()) + "\r\n";
    const QByteArray handshakeRequest = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n" + host + "\r\n";
    // Pairs of connections, accepted one after the other: round-robin puts the two of a pair on
    // different workers. The acceptor runs on this thread's event loop, so every connection is
    // accepted and has served a first handshake (the event loop running) before the blocking part.
    constexpr int Pairs = 100;
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < 2 * Pairs; ++i) {
        sockets.push_back(std::make_unique<QTcpSocket>());
        sockets.back()->connectToHost(QHostAddress::LocalHost, m_workers->serverPort());
        QVERIFY(sockets.back()->waitForConnected(5000));
        sockets.back()->write(handshakeRequest);
    }
    QTRY_VERIFY(std::all_of(sockets.begin(), sockets.end(), [](const auto &s) { return s->bytesAvailable() > 0; }));
    QByteArray status, body;
    for (const auto &socket : sockets)
        QVERIFY(readResponse(*socket, status, body));
    for (int i = 0; i < Pairs; ++i) {
        QTcpSocket &first = *sockets.at(2 * i);
        QTcpSocket &second = *sockets.at(2 * i + 1);
        first.write(handshakeRequest);
        QVERIFY(readResponse(first, status, body));
        QVERIFY2(status.contains(" 200 ") && body.startsWith('0'), body.constData());
        const QByteArray sid = QJsonDocument::fromJson(body.mid(1)).object().value(u"sid"_s).toString().toLatin1();
        second.write("POST /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\n" + host
                     + "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\n\r\n40");
        QVERIFY(readResponse(second, status, body));
        QVERIFY2(status.contains(" 200 ") && body == "ok",
                 qPrintable(u"pair %1: %2 %3"_s.arg(i).arg(QString::fromLatin1(status), QString::fromLatin1(body))));
    }
    for (const auto &socket : sockets)
        socket->abort();
    QTRY_COMPARE(m_workers->clientsCount(), 0);
}

void tst_ServerWorkers::compressFlagCrossesWorkers()
{
    // a broadcast with compress(false) on one worker reaches a long-polling member on the other
    // uncompressed (the worker adapter carries the flag); a default one compressed
    SocketIo::Test::GzipPollingPeer member;
    QVERIFY(member.open(m_workers->serverPort()));
    auto closeMember = qScopeGuard([&member] { member.close(); });
    QVERIFY(member.send("421[\"whoami\"]"));
    const QByteArray who = member.poll().body;
    QVERIFY2(who.startsWith("431[") && who.size() == 6, who.constData());
    const int memberWorker = who.at(4) - '0';
    QVERIFY(member.send("422[\"join\",\"r\"]"));
    QCOMPARE(member.poll().body, QByteArray("432[true]"));

    const auto peers = connectPeers(4);
    Peer *sender = nullptr;
    for (const auto &p : peers) {
        QVERIFY(p);
        if (p->worker != memberWorker)
            sender = p.get();
    }
    QVERIFY2(sender, "no client on the other worker");
    QString big;
    for (int i = 0; big.size() < 3000; ++i)
        big += u"compressible text %1 "_s.arg(i);
    for (const bool compress : {false, true}) {
        member.sendPoll();   // parked until the broadcast arrives
        const QString event = compress ? u"to-room"_s : u"to-room-no-compress"_s;
        QCOMPARE(call(*sender, event, {u"r"_s, big}), QCborArray{true});
        const RawHttpResponse response = member.waitPoll();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.header("content-encoding"), compress ? QByteArray("gzip") : QByteArray());
        const QByteArray payload = SocketIo::Test::GzipPollingPeer::payload(response);
        QVERIFY2(payload.startsWith("42[\"news\",\"compressible text 0 "), payload.left(60).constData());
    }
}

QTEST_MAIN(tst_ServerWorkers)
#include "tst_serverworkers.moc"
