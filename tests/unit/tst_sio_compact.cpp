// The compact containers of the Socket.IO layer (docs/benchmarks.md, "Socket.IO layer, second
// round"): InMemoryAdapter's small string sets, which switch between a list and a QSet, and the
// CONNECT reply written without a QCborMap (and its Engine.IO message), socket ids written straight
// from their random bytes.
#include "adapter/inmemoryadapter_p.h"
#include "protocol/bytes_p.h"
#include "protocol/socketiopacket.h"

#include <QCborMap>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using SocketIo::Internal::CompactStringSet;

class tst_SioCompact : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void emptyAndOne();
    void switchesAtTheThresholdBothWays();
    void churnAgreesWithQSet();
    void copiesAreIndependent();
    void connectReplyAsEncodePacket_data();
    void connectReplyAsEncodePacket();
    void connectReplyMessageIsFramedReply_data() { connectReplyAsEncodePacket_data(); }
    void connectReplyMessageIsFramedReply();
    void base64IdAsToBase64();

private:
    static void check(const CompactStringSet &set, const QSet<QString> &ref)
    {
        QCOMPARE(set.size(), ref.size());
        QCOMPARE(set.isEmpty(), ref.isEmpty());
        QCOMPARE(set.toSet(), ref);
        QSet<QString> seen;
        set.forEach([&seen](const QString &v) {
            QVERIFY2(!seen.contains(v), qPrintable(v));   // each element once
            seen.insert(v);
        });
        QCOMPARE(seen, ref);
        for (const QString &v : ref)
            QVERIFY(set.contains(v));
    }
    static QString name(int i) { return u"s"_s + QString::number(i); }
};

void tst_SioCompact::emptyAndOne()
{
    CompactStringSet set;
    check(set, {});
    QVERIFY(!set.contains(u"a"_s));
    QVERIFY(!set.remove(u"a"_s));
    CompactStringSet one(u"id"_s);
    check(one, {u"id"_s});
    QVERIFY(!one.insert(u"id"_s));   // already there
    QVERIFY(one.remove(u"id"_s));
    check(one, {});
    QVERIFY(!one.remove(u"id"_s));
    QVERIFY(one.insert(u"id"_s));
    check(one, {u"id"_s});
    QVERIFY(!one.contains(QString()));
}

void tst_SioCompact::switchesAtTheThresholdBothWays()
{
    CompactStringSet set;
    QSet<QString> ref;
    // up: a list up to LargeAbove elements, a hash from the next one
    for (int i = 0; i < CompactStringSet::LargeAbove; ++i) {
        QVERIFY(set.insert(name(i)));
        ref.insert(name(i));
        QVERIFY(!set.isLarge());
        check(set, ref);
    }
    QVERIFY(set.insert(name(1000)));
    ref.insert(name(1000));
    QVERIFY(set.isLarge());
    check(set, ref);
    QVERIFY(!set.insert(name(3)));   // duplicates stay refused in either form
    check(set, ref);
    // down: stays a hash until SmallAtOrBelow elements remain, then a list again
    QList<QString> order = ref.values();
    std::sort(order.begin(), order.end());
    while (ref.size() > CompactStringSet::SmallAtOrBelow + 1) {
        const QString v = order.takeLast();
        QVERIFY(set.remove(v));
        ref.remove(v);
        QVERIFY(set.isLarge());
        check(set, ref);
    }
    QVERIFY(!set.remove(u"missing"_s));
    QVERIFY(set.isLarge());
    const QString v = order.takeLast();
    QVERIFY(set.remove(v));
    ref.remove(v);
    QVERIFY(!set.isLarge());
    QCOMPARE(set.size(), CompactStringSet::SmallAtOrBelow);
    check(set, ref);
    // hysteresis: growing again switches only past LargeAbove, not at SmallAtOrBelow + 1
    for (int i = 0; ref.size() < CompactStringSet::LargeAbove; ++i) {
        QVERIFY(set.insert(name(2000 + i)));
        ref.insert(name(2000 + i));
        QVERIFY(!set.isLarge());
    }
    check(set, ref);
    QVERIFY(set.insert(u"one more"_s));
    ref.insert(u"one more"_s);
    QVERIFY(set.isLarge());
    check(set, ref);
    // down to nothing
    for (const QString &v2 : ref.values())
        QVERIFY(set.remove(v2));
    check(set, {});
    QVERIFY(!set.isLarge());
}

void tst_SioCompact::churnAgreesWithQSet()
{
    // random joins and leaves over a pool around the threshold, the form changing both ways many
    // times; every step is compared with a QSet
    QRandomGenerator rng(20261126);
    CompactStringSet set;
    QSet<QString> ref;
    int switches = 0;
    bool wasLarge = false;
    for (int step = 0; step < 20000; ++step) {
        // drift: mostly growing in some phases, mostly shrinking in others
        const bool growPhase = (step / 500) % 2 == 0;
        const int pool = 40;
        const QString v = name(int(rng.bounded(pool)));
        const bool doInsert = int(rng.bounded(100)) < (growPhase ? 70 : 30);
        if (doInsert)
            QCOMPARE(set.insert(v), !ref.contains(v));
        else
            QCOMPARE(set.remove(v), ref.contains(v));
        if (doInsert)
            ref.insert(v);
        else
            ref.remove(v);
        QCOMPARE(set.size(), ref.size());
        QCOMPARE(set.contains(v), ref.contains(v));
        if (set.isLarge() != wasLarge) {
            ++switches;
            wasLarge = set.isLarge();
        }
        // the form follows the rule: large above LargeAbove, small at or below SmallAtOrBelow
        if (ref.size() > CompactStringSet::LargeAbove)
            QVERIFY(set.isLarge());
        if (ref.size() <= CompactStringSet::SmallAtOrBelow)
            QVERIFY(!set.isLarge());
        if (step % 97 == 0)
            check(set, ref);
    }
    check(set, ref);
    QVERIFY2(switches >= 10, qPrintable(QString::number(switches)));
}

void tst_SioCompact::copiesAreIndependent()
{
    // the adapter shares one set between a room and a socket: a change to one must not show in
    // the other, in either form
    const CompactStringSet own(u"id"_s);
    CompactStringSet room = own;
    CompactStringSet socketRooms = own;
    QVERIFY(socketRooms.insert(u"r1"_s));
    check(room, {u"id"_s});
    check(socketRooms, {u"id"_s, u"r1"_s});
    QVERIFY(room.remove(u"id"_s));
    check(room, {});
    check(socketRooms, {u"id"_s, u"r1"_s});
    check(own, {u"id"_s});

    CompactStringSet large;
    QSet<QString> ref;
    for (int i = 0; i <= CompactStringSet::LargeAbove; ++i) {
        large.insert(name(i));
        ref.insert(name(i));
    }
    QVERIFY(large.isLarge());
    CompactStringSet copy = large;
    QVERIFY(copy.remove(name(0)));
    QVERIFY(copy.insert(u"x"_s));
    check(large, ref);
    QVERIFY(!copy.contains(name(0)));
    QVERIFY(copy.contains(u"x"_s));
}

void tst_SioCompact::connectReplyAsEncodePacket_data()
{
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QString>("sid");
    QTest::addColumn<QString>("pid");
    QTest::newRow("main namespace") << u"/"_s << u"4fz1Vh0qWx-_a9ZmQk3T"_s << QString();
    QTest::newRow("with pid") << u"/"_s << u"4fz1Vh0qWx-_a9ZmQk3T"_s << u"pQ2-_x0000000000000a"_s;
    QTest::newRow("custom namespace") << u"/admin"_s << u"abc"_s << u"def"_s;
    QTest::newRow("unicode namespace") << u"/caf\u00e9/\u4e2d"_s << u"abc"_s << QString();
    QTest::newRow("empty namespace") << QString() << u"abc"_s << QString();
    // ids from a recovery store are not ours: anything must be escaped as JSON
    QTest::newRow("escapes in ids") << u"/"_s << u"a\"b\\c\u0001\u007f"_s << u"\u00e9\u4e2d\U0001F600"_s;
    QTest::newRow("lone surrogate") << u"/"_s << QString(QChar(0xd800)) << QString();
    QTest::newRow("comma in namespace") << u"/a,b"_s << u"abc"_s << QString();
}

void tst_SioCompact::connectReplyAsEncodePacket()
{
    QFETCH(QString, nsp);
    QFETCH(QString, sid);
    QFETCH(QString, pid);
    SocketIo::Protocol::Packet packet;
    packet.type = SocketIo::Protocol::PacketType::Connect;
    packet.nsp = nsp;
    QCborMap data;
    data.insert(u"sid"_s, sid);
    if (!pid.isEmpty())
        data.insert(u"pid"_s, pid);
    packet.data = data;
    const SocketIo::Protocol::EncodedPacket expected = SocketIo::Protocol::encodePacket(packet);
    QCOMPARE(SocketIo::Protocol::encodeConnectReply(nsp, sid, pid), expected.text);
}

void tst_SioCompact::connectReplyMessageIsFramedReply()
{
    QFETCH(QString, nsp);
    QFETCH(QString, sid);
    QFETCH(QString, pid);
    const QByteArray reply = SocketIo::Protocol::encodeConnectReply(nsp, sid, pid);
    const QByteArray message = SocketIo::Protocol::encodeConnectReplyMessage(nsp, sid, pid);
    // the Engine.IO message type, then the reply unchanged ("4" alone for an empty reply)
    QCOMPARE(message, QByteArray('4' + reply));
    QVERIFY(QByteArrayView(message).isValidUtf8());
}

void tst_SioCompact::base64IdAsToBase64()
{
    // edge bytes (every 6-bit value, both ends of the alphabet), then random ones
    QList<QByteArray> inputs = {QByteArray(15, '\0'), QByteArray(15, '\xff'),
                                QByteArray::fromHex("fbff bf00 1083 2070 b9ef 3e7f fdfa 7c")};
    QRandomGenerator rng(20261127);
    for (int i = 0; i < 500; ++i) {
        QByteArray bytes(15, Qt::Uninitialized);
        for (char &b : bytes)
            b = char(rng.bounded(256));
        inputs.append(bytes);
    }
    for (const QByteArray &bytes : std::as_const(inputs)) {
        const QString id = SocketIo::Protocol::encodeBase64Id(reinterpret_cast<const uchar *>(bytes.constData()));
        QCOMPARE(id.size(), 20);
        QCOMPARE(id, QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding)));
    }
    QCOMPARE(SocketIo::Protocol::encodeBase64Id(reinterpret_cast<const uchar *>(QByteArray(15, '\xff').constData())),
             u"____________________"_s);
}

QTEST_GUILESS_MAIN(tst_SioCompact)
#include "tst_sio_compact.moc"
