// Server fixes from a code review, each proved on the wire with a raw peer: rooms and acks from
// connection middlewares, the binary attachment limit on every sending path, nothing dispatched
// after a bad packet in the same payload, and broadcast acks forgotten by silent sockets.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include "engineio/enginesession_p.h"
#include <SocketIo/engineserver.h>
#include "socketio/socket_p.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/broadcastoperator.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/message.h>
#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborArray>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::InMemoryAdapter;
using SocketIo::Message;
using SocketIo::Namespace;
using SocketIo::Next;
using SocketIo::Server;
using SocketIo::Socket;

namespace {
QCborArray buffers(int count)
{
    QCborArray array;
    for (int i = 0; i < count; ++i)
        array.append(QByteArray(1, char(i)));
    return array;
}
} // namespace

class tst_ServerReview : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }
    void middlewareJoinReceivesRoomBroadcast();
    void middlewareLeaveIsApplied();
    void middlewareRefusalLeavesNoRoom();
    void middlewareEmitWithAckPrecedesConnectReplyAndResolves();
    void middlewareRefusalFailsItsPendingAck();
    void attachmentLimitOnEverySendingPath_data();
    void attachmentLimitOnEverySendingPath();
    void packetsAfterDecodeErrorInSamePayloadAreDropped();
    void messagesAfterDecodeErrorAreDroppedWhileEngineCloses();
    void silentSocketsForgetFinishedBroadcastAcks();
    void sessionSignalsReachTheApplicationBesideTheServer();
    void oneSocketIoServerPerEngine();
};

void tst_ServerReview::middlewareJoinReceivesRoomBroadcast()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->use([](Socket *socket, const Next &next) {
        socket->join(u"vip"_s);
        next();
    });
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40{\"sid\":"));
    QTRY_COMPARE(connections.size(), 1);
    QVERIFY(io->to(u"vip"_s).emitEvent(u"hi"_s));
    QCOMPARE(client.waitForText(), QByteArray(R"(42["hi"])"));
}

void tst_ServerReview::middlewareLeaveIsApplied()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->use([](Socket *socket, const Next &next) {
        socket->join(QStringList{u"a"_s, u"b"_s});
        socket->leave(u"a"_s);
        next();
    });
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40{\"sid\":"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QCOMPARE(socket->rooms(), (QSet<QString>{socket->id(), u"b"_s}));
}

void tst_ServerReview::middlewareRefusalLeavesNoRoom()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QString refusedId;
    io->use([&](Socket *socket, const Next &next) {
        refusedId = socket->id();
        socket->join(u"vip"_s);
        QVERIFY(socket->rooms().contains(u"vip"_s));
        next(u"no"_s);
    });
    auto *adapter = qobject_cast<InMemoryAdapter *>(io->of(u"/"_s)->adapter());
    QVERIFY(adapter);
    QSignalSpy deleted(adapter, &SocketIo::Adapter::roomDeleted);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(), QByteArray(R"(44{"message":"no"})"));
    QVERIFY(!refusedId.isEmpty());
    QVERIFY(adapter->rooms().isEmpty());
    QVERIFY(adapter->sids().isEmpty());
    QCOMPARE(deleted.size(), 1);
    QCOMPARE(deleted.at(0).at(0).toString(), u"vip"_s);
}

void tst_ServerReview::middlewareEmitWithAckPrecedesConnectReplyAndResolves()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QPointer<AckReply> reply;
    io->use([&](Socket *socket, const Next &next) {
        reply = socket->emitWithAck(u"hello"_s, {1}, 5s);
        next();
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    // the ack id (namespace counter, from 0) travels before the CONNECT reply
    QCOMPARE(client.connectNamespace(), QByteArray(R"(420["hello",1])"));
    QVERIFY(client.waitForText().startsWith("40{\"sid\":"));
    QVERIFY(reply);
    QSignalSpy finished(reply.data(), &AckReply::finished);
    QCborArray args;
    AckReply::Error error = AckReply::Error::Timeout;
    connect(reply, &AckReply::finished, this, [&] {
        args = reply->args();
        error = reply->error();
    });
    client.send(R"(430["hi back"])");
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(error, AckReply::Error::NoError);
    QCOMPARE(args, QCborArray{u"hi back"_s});
}

void tst_ServerReview::middlewareRefusalFailsItsPendingAck()
{
    auto io = sioStartServer();
    QVERIFY(io);
    int finished = 0;
    AckReply::Error error = AckReply::Error::NoError;
    io->use([&](Socket *socket, const Next &next) {
        AckReply *reply = socket->emitWithAck(u"hello"_s, QCborArray(), 5s);
        connect(reply, &AckReply::finished, this, [&, reply] {
            ++finished;
            error = reply->error();
        });
        next(u"no"_s);
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(), QByteArray(R"(420["hello"])"));
    QCOMPARE(client.waitForText(), QByteArray(R"(44{"message":"no"})"));
    // well before the 5 s timeout
    QTRY_COMPARE_WITH_TIMEOUT(finished, 1, 2000);
    QCOMPARE(error, AckReply::Error::Disconnected);
}

void tst_ServerReview::attachmentLimitOnEverySendingPath_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("count");
    QTest::addColumn<bool>("sent");
    const QStringList paths{u"socket emitEvent"_s, u"socket emitWithAck"_s, u"message ack"_s,
                            u"broadcast emitEvent"_s, u"broadcast emitWithAck"_s,
                            u"remote socket emitEvent"_s};
    for (const QString &path : paths) {
        QTest::addRow("%s with 10 buffers is sent", qPrintable(path)) << path << 10 << true;
        QTest::addRow("%s with 11 buffers is refused", qPrintable(path)) << path << 11 << false;
    }
}

void tst_ServerReview::attachmentLimitOnEverySendingPath()
{
    QFETCH(QString, path);
    QFETCH(int, count);
    QFETCH(bool, sent);
    // receiver of this test's lambdas: a reply still pending at the end must not call them later
    QObject context;
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    const QCborArray args = buffers(count);

    bool accepted = false;
    QPointer<AckReply> reply;
    QByteArray header = (path == u"message ack"_s ? "46" : "45") + QByteArray::number(count) + '-';
    if (path == u"socket emitEvent"_s) {
        accepted = socket->emitEvent(u"big"_s, args);
    } else if (path == u"socket emitWithAck"_s) {
        reply = socket->emitWithAck(u"big"_s, args, 5s);
    } else if (path == u"broadcast emitEvent"_s) {
        accepted = io->emitEvent(u"big"_s, args);
    } else if (path == u"broadcast emitWithAck"_s) {
        reply = io->emitWithAck(u"big"_s, args, 5s);
    } else if (path == u"remote socket emitEvent"_s) {
        bool fetched = false;
        io->fetchSockets(&context, [&](const QList<SocketIo::RemoteSocket> &sockets) {
            QCOMPARE(sockets.size(), 1);
            accepted = sockets.first().emitEvent(u"big"_s, args);
            fetched = true;
        });
        QTRY_VERIFY(fetched);
    } else {
        bool handled = false;
        socket->on(u"ask"_s, &context, [&](const Message &message) {
            accepted = message.ack(args);
            // a refused ack does not count as sent: a smaller one may follow
            if (!accepted)
                QVERIFY(message.ack(QCborArray{u"fewer"_s}));
            handled = true;
        });
        client.send(R"(427["ask"])");
        QTRY_VERIFY(handled);
        header += '7';
    }
    if (reply) {
        QSignalSpy finished(reply.data(), &AckReply::finished);
        AckReply::Error error = AckReply::Error::NoError;
        connect(reply, &AckReply::finished, &context, [&] { error = reply->error(); });
        if (sent) {
            QVERIFY(!reply->isFinished());
        } else {
            QTRY_COMPARE(finished.size(), 1);
            QCOMPARE(error, AckReply::Error::NotSent);
        }
        accepted = sent;   // checked on the wire below
    }
    QCOMPARE(accepted, sent);

    if (sent) {
        const QByteArray text = client.waitForText();
        QVERIFY2(text.startsWith(header), text.constData());
        for (int i = 0; i < count; ++i)
            QCOMPARE(client.waitForBinary(), QByteArray(1, char(i)));
    } else if (path == u"message ack"_s) {
        QCOMPARE(client.waitForText(), QByteArray(R"(437["fewer"])"));
    }
    // nothing else was written: the next message is this one
    QVERIFY(socket->emitEvent(u"marker"_s));
    QCOMPARE(client.waitForText(), QByteArray(R"(42["marker"])"));
    // nobody answers: deleting the reply drops the pending ack instead of waiting for the timeout
    delete reply.data();
}

void tst_ServerReview::packetsAfterDecodeErrorInSamePayloadAreDropped()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(SioRawClient::Transport::Polling);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    int handled = 0;
    socket->on(u"evt"_s, this, [&](const Message &) { ++handled; });
    // Two writes: at most the first is taken by a waiting GET, so the session still has data
    // to deliver when the bad packet closes it, and the close completes only later.
    socket->on(u"fill"_s, this, [socket](const Message &) {
        socket->emitEvent(u"a"_s);
        socket->emitEvent(u"b"_s);
    });
    QSignalSpy disconnected(socket, &Socket::disconnected);
    // unknown packet type 'a', then a valid event in the same POST
    client.postPayload(R"(42["fill"])" "\x1e" "4abc\x1e" R"(42["evt"])");
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(handled, 0);
}

void tst_ServerReview::messagesAfterDecodeErrorAreDroppedWhileEngineCloses()
{
    // The Socket.IO layer on its own, whatever the engine does with the rest of a payload once
    // closing: the messages are handed to it directly, as an engine that still delivered them
    // would, while the close waits for queued data (so the sockets are still connected).
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client(SioRawClient::Transport::Polling);
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    int handled = 0;
    socket->on(u"evt"_s, this, [&](const Message &) { ++handled; });
    QSignalSpy disconnected(socket, &Socket::disconnected);
    SocketIo::EngineSession *session = socket->conn();
    QVERIFY(session);
    // at most one GET waits: the second packet stays queued, so close() cannot finish at once
    QVERIFY(socket->emitEvent(u"a"_s));
    QVERIFY(socket->emitEvent(u"b"_s));
    // (the session's receiver is the Socket.IO layer's client, as the engine calls it)
    SocketIo::EngineSessionReceiver *receiver = SocketIo::EngineSessionPrivate::get(session)->receiver;
    QVERIFY(receiver);
    receiver->sessionText("abc");
    QCOMPARE(session->state(), SocketIo::EngineSession::State::Closing);
    QVERIFY(socket->isConnected());
    receiver->sessionText(R"(2["evt"])");
    QCOMPARE(handled, 0);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(handled, 0);
}

// The Socket.IO layer takes its session's messages and close by a direct call; the session's
// public signals still reach an application connected to them.
void tst_ServerReview::sessionSignalsReachTheApplicationBesideTheServer()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    SocketIo::EngineSession *session = socket->conn();
    QVERIFY(session);
    QSignalSpy texts(session, &SocketIo::EngineSession::textMessageReceived);
    QSignalSpy binaries(session, &SocketIo::EngineSession::binaryMessageReceived);
    QSignalSpy closed(session, &SocketIo::EngineSession::closed);
    QList<QCborArray> events;
    socket->on(u"evt"_s, this, [&events](const Message &m) { events.append(m.args()); });
    client.send(R"(451-["evt",{"_placeholder":true,"num":0}])");
    client.sendBinary(QByteArray("\x01\x02", 2));
    QTRY_COMPARE(events.size(), 1);
    QCOMPARE(events.first().at(0).toByteArray(), QByteArray("\x01\x02", 2));
    QCOMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toByteArray(), QByteArray(R"(51-["evt",{"_placeholder":true,"num":0}])"));
    QCOMPARE(binaries.size(), 1);
    QSignalSpy disconnected(socket, &Socket::disconnected);
    client.sendEngine("1");   // the engine's close packet
    QTRY_COMPARE(disconnected.size(), 1);
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(closed.first().first().toString(), u"transport close"_s);
}

// A session has one Socket.IO receiver: a second Server cannot attach to an engine another one
// serves (it would take the first one's sessions from it); once that one is gone, another can.
void tst_ServerReview::oneSocketIoServerPerEngine()
{
    SocketIo::EngineServer engine;
    auto first = std::make_unique<Server>();
    QVERIFY(first->attach(&engine));
    Server second;
    QVERIFY(!second.attach(&engine));
    QVERIFY(!second.engine());
    SocketIo::EngineOptions o = engine.options();
    o.path = u"/socket.io/"_s;
    engine.setOptions(o);
    QVERIFY(engine.listen(QHostAddress::LocalHost, 0));
    QSignalSpy firstConnections(first.get(), &Server::connection);
    QSignalSpy secondConnections(&second, &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(engine.serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40"));
    QCOMPARE(firstConnections.size(), 1);
    QCOMPARE(secondConnections.size(), 0);
    first.reset();
    Server third;
    QVERIFY(third.attach(&engine));
    QSignalSpy thirdConnections(&third, &Server::connection);
    SioRawClient next;
    QVERIFY(next.open(engine.serverPort()));
    QVERIFY(next.connectNamespace().startsWith("40"));
    QCOMPARE(thirdConnections.size(), 1);
}

void tst_ServerReview::silentSocketsForgetFinishedBroadcastAcks()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient silent;
    SioRawClient answering;
    QVERIFY(silent.open(io->serverPort()));
    QVERIFY(answering.open(io->serverPort()));
    QVERIFY(silent.connectNamespace().startsWith("40"));
    QVERIFY(answering.connectNamespace().startsWith("40"));
    QTRY_COMPARE(connections.size(), 2);
    QPointer<Socket> sockets[2] = {connections.at(0).at(0).value<Socket *>(),
                                   connections.at(1).at(0).value<Socket *>()};
    auto pendingAcks = [&](int i) { return SocketIo::SocketPrivate::get(sockets[i])->acks.size(); };

    for (int round = 0; round < 3; ++round) {
        AckReply *reply = io->timeout(50ms).emitWithAck(u"question"_s);
        QSignalSpy finished(reply, &AckReply::finished);
        const QByteArray expected = "42" + QByteArray::number(round) + R"(["question"])";
        QCOMPARE(silent.waitForText(), expected);
        QCOMPARE(answering.waitForText(), expected);
        QCOMPARE(pendingAcks(0), 1);
        answering.send("43" + QByteArray::number(round) + "[]");
        QTRY_COMPARE(pendingAcks(1), 0);
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(pendingAcks(0), 0);
    }
    // a late answer from the silent socket is ignored and keeps nothing
    silent.send(R"(430["late"])");
    silent.send(R"(42["sync"])");
    QSignalSpy received(sockets[0].data(), &Socket::eventReceived);
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(pendingAcks(0), 0);
    QVERIFY(sockets[0]->isConnected());
}

QTEST_MAIN(tst_ServerReview)
#include "tst_server_review.moc"
