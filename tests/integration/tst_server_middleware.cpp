// Connection middlewares (io.use / nsp.use): order, asynchronous next, refusal on the wire as
// CONNECT_ERROR with message and data, the refused socket discarded and the connection kept.
#include "siorawclient.h"
#include "siotesthelpers.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using SocketIo::Namespace;
using SocketIo::Next;
using SocketIo::Server;
using SocketIo::Socket;

class tst_ServerMiddleware : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }
    void refusalBecomesConnectError_data();
    void refusalBecomesConnectError();
    void middlewaresRunInOrderAndMayBeAsynchronous();
    void serverUseAppliesToMainNamespaceOnly();
    void middlewareSeesHandshakeAndMaySetData();
    void middlewareFinishingAfterCloseDropsSocket();
    void nextCalledTwiceIsIgnored();
    void emitFromMiddlewareArrivesBeforeConnectReply_data();
    void emitFromMiddlewareArrivesBeforeConnectReply();
};

void tst_ServerMiddleware::refusalBecomesConnectError_data()
{
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QCborValue>("data");
    QTest::addColumn<QByteArray>("wire");
    QTest::newRow("custom namespace with data") << u"/deny"_s << QCborValue(QCborMap{{u"code"_s, 42}})
                                                << QByteArray(R"(44/deny,{"message":"not authorized","data":{"code":42}})");
    QTest::newRow("main namespace without data") << u"/"_s << QCborValue()
                                                 << QByteArray(R"(44{"message":"not authorized"})");
    QTest::newRow("null data is kept") << u"/x"_s << QCborValue(nullptr)
                                       << QByteArray(R"(44/x,{"message":"not authorized","data":null})");
}

void tst_ServerMiddleware::refusalBecomesConnectError()
{
    QFETCH(QString, nsp);
    QFETCH(QCborValue, data);
    QFETCH(QByteArray, wire);
    auto io = sioStartServer();
    QVERIFY(io);
    Namespace *n = io->of(nsp);
    n->use([data](Socket *, const Next &next) { next(u"not authorized"_s, data); });
    QSignalSpy connections(n, &Namespace::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(nsp), wire);
    QCOMPARE(connections.size(), 0);
    QCOMPARE(n->socketCount(), 0);
    // the connection stays open
    io->of(u"/open"_s);
    QVERIFY(client.connectNamespace(u"/open"_s).startsWith("40/open,"));
    QVERIFY(!client.isClosed());
}

void tst_ServerMiddleware::middlewaresRunInOrderAndMayBeAsynchronous()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QStringList order;
    io->use([&](Socket *, const Next &next) {
        order.append(u"first"_s);
        QTimer::singleShot(20, io.get(), [next] { next(); });
    });
    io->use([&](Socket *socket, const Next &next) {
        order.append(u"second"_s);
        QVERIFY(!socket->isConnected());
        next();
    });
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40{\"sid\":"));
    QCOMPARE(order, (QStringList{u"first"_s, u"second"_s}));
    QTRY_COMPARE(connections.size(), 1);
}

void tst_ServerMiddleware::serverUseAppliesToMainNamespaceOnly()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->use([](Socket *, const Next &next) { next(u"main only"_s); });
    io->of(u"/free"_s);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QCOMPARE(client.connectNamespace(), QByteArray(R"(44{"message":"main only"})"));
    QVERIFY(client.connectNamespace(u"/free"_s).startsWith("40/free,"));
}

void tst_ServerMiddleware::middlewareSeesHandshakeAndMaySetData()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->use([](Socket *socket, const Next &next) {
        socket->setData(QCborMap{{u"user"_s, socket->handshake().auth.value(u"name"_s)}});
        next();
    });
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace(u"/"_s, R"({"name":"ann"})").startsWith("40"));
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.at(0).at(0).value<Socket *>();
    QCOMPARE(socket->data().toMap().value(u"user"_s).toString(), u"ann"_s);
}

void tst_ServerMiddleware::middlewareFinishingAfterCloseDropsSocket()
{
    auto io = sioStartServer();
    QVERIFY(io);
    std::optional<Next> pending;
    io->use([&](Socket *, const Next &next) { pending = next; });
    QSignalSpy connections(io.get(), &Server::connection);
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    client.send("40");
    QTRY_VERIFY(pending.has_value());
    client.abort();
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
    (*pending)();
    QCOMPARE(connections.size(), 0);
    QCOMPARE(io->sockets()->socketCount(), 0);
}

void tst_ServerMiddleware::nextCalledTwiceIsIgnored()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->use([](Socket *, const Next &next) {
        next();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"more than once"_s));
        next(u"too late"_s);
        QVERIFY(next.isCalled());
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    QVERIFY(client.connectNamespace().startsWith("40{\"sid\":"));
}

void tst_ServerMiddleware::emitFromMiddlewareArrivesBeforeConnectReply_data()
{
    QTest::addColumn<bool>("accept");
    QTest::newRow("accepted") << true;
    QTest::newRow("refused") << false;
}

void tst_ServerMiddleware::emitFromMiddlewareArrivesBeforeConnectReply()
{
    // socket.io writes emits made inside a middleware at once, so they precede the CONNECT
    // reply (or the CONNECT_ERROR); the official Admin UI's "session" event depends on it.
    QFETCH(bool, accept);
    auto io = sioStartServer();
    QVERIFY(io);
    Namespace *n = io->of(u"/early"_s);
    n->use([accept](Socket *socket, const Next &next) {
        QVERIFY(socket->emitEvent(u"session"_s, {u"token"_s}));
        if (accept)
            next();
        else
            next(u"no"_s);
    });
    SioRawClient client;
    QVERIFY(client.open(io->serverPort()));
    client.send("40/early,");
    QCOMPARE(client.waitForText(), QByteArray(R"(42/early,["session","token"])"));
    const QByteArray reply = client.waitForText();
    QVERIFY2(reply.startsWith(accept ? "40/early,{\"sid\":" : "44/early,{\"message\":\"no\"}"), reply.constData());
}

QTEST_GUILESS_MAIN(tst_ServerMiddleware)
#include "tst_server_middleware.moc"
