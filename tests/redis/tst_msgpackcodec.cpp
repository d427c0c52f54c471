// msgpack <-> QCborValue conversion of SocketIo::Redis against notepack.io's bytes
// (protocol.md 6.1: the captured broadcast of io.emit("hello", 1, Buffer[1,2])).
#include <SocketIo/msgpackcodec.h>

#include <QCborArray>
#include <QCborMap>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace SocketIo;

class tst_MsgPackCodec : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void capturedBroadcastEncodesToTheSameBytes();
    void capturedBroadcastDecodes();
    void scalars_data();
    void scalars();
    void undefinedMapMembersAreOmittedAndArrayElementsBecomeNil();
    void mapsKeepTheirOrder();
    void longStringsAndBinariesUseSizedForms();
    void float32DecodesAsDouble();
    void emitterPacketWithoutNspDecodes();
    void malformedInputIsRefused_data();
    void malformedInputIsRefused();
};

static QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}

static QByteArray captured()
{
    QByteArray b;
    b += hex("93 a6") + "Ra2-nb" + hex("83 a4") + "type" + hex("02 a4") + "data" + hex("93 a5") + "hello"
         + hex("01 c4 02 01 02 a3") + "nsp" + hex("a1") + "/" + hex("83 a5") + "rooms" + hex("90 a6") + "except"
         + hex("90 a5") + "flags" + hex("80");
    return b;
}

static QCborValue capturedValue()
{
    return QCborArray{u"Ra2-nb"_s,
                      QCborMap{{u"type"_s, 2},
                               {u"data"_s, QCborArray{u"hello"_s, 1, QByteArray("\x01\x02", 2)}},
                               {u"nsp"_s, u"/"_s}},
                      QCborMap{{u"rooms"_s, QCborArray()}, {u"except"_s, QCborArray()}, {u"flags"_s, QCborMap()}}};
}

void tst_MsgPackCodec::capturedBroadcastEncodesToTheSameBytes()
{
    QCOMPARE(MsgPack::encode(capturedValue()).toHex(' '), captured().toHex(' '));
}

void tst_MsgPackCodec::capturedBroadcastDecodes()
{
    QString error;
    const QCborValue value = MsgPack::decode(captured(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(value, capturedValue());
    // the binary argument is a byte string, not text
    QVERIFY(value.toArray().at(1).toMap().value(u"data"_s).toArray().at(2).isByteArray());
}

void tst_MsgPackCodec::scalars_data()
{
    QTest::addColumn<QCborValue>("value");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("zero") << QCborValue(0) << hex("00");
    QTest::newRow("positive fixint 127") << QCborValue(127) << hex("7f");
    QTest::newRow("uint8 128") << QCborValue(128) << hex("cc 80");
    QTest::newRow("uint16 256") << QCborValue(256) << hex("cd 01 00");
    QTest::newRow("uint32 65536") << QCborValue(65536) << hex("ce 00 01 00 00");
    QTest::newRow("uint64 2^32") << QCborValue(qint64(1) << 32) << hex("cf 00 00 00 01 00 00 00 00");
    QTest::newRow("negative fixint -1") << QCborValue(-1) << hex("ff");
    QTest::newRow("negative fixint -32") << QCborValue(-32) << hex("e0");
    QTest::newRow("int8 -33") << QCborValue(-33) << hex("d0 df");
    QTest::newRow("int16 -129") << QCborValue(-129) << hex("d1 ff 7f");
    QTest::newRow("float64 1.5") << QCborValue(1.5) << hex("cb 3f f8 00 00 00 00 00 00");
    QTest::newRow("nil") << QCborValue(nullptr) << hex("c0");
    QTest::newRow("true") << QCborValue(true) << hex("c3");
    QTest::newRow("false") << QCborValue(false) << hex("c2");
    QTest::newRow("fixstr") << QCborValue(u"hé"_s) << hex("a3 68 c3 a9");
    QTest::newRow("empty bin") << QCborValue(QByteArray()) << hex("c4 00");
}

void tst_MsgPackCodec::scalars()
{
    QFETCH(QCborValue, value);
    QFETCH(QByteArray, bytes);
    QCOMPARE(MsgPack::encode(value).toHex(' '), bytes.toHex(' '));
    QCOMPARE(MsgPack::decode(bytes), value);
}

void tst_MsgPackCodec::undefinedMapMembersAreOmittedAndArrayElementsBecomeNil()
{
    // JavaScript drops undefined properties; an integral double is written as an integer (one number type)
    const QCborMap map{{u"a"_s, QCborValue()}, {u"b"_s, 3.0}};
    QCOMPARE(MsgPack::encode(map).toHex(' '), hex("81 a1 62 03").toHex(' '));
    QCOMPARE(MsgPack::encode(QCborArray{QCborValue(), 1}).toHex(' '), hex("92 c0 01").toHex(' '));
}

void tst_MsgPackCodec::mapsKeepTheirOrder()
{
    const QByteArray bytes = hex("82 a1 7a 01 a1 61 02");   // {"z":1,"a":2}
    const QCborMap map = MsgPack::decode(bytes).toMap();
    QCOMPARE(map.keys().at(0).toString(), u"z"_s);
    QCOMPARE(map.keys().at(1).toString(), u"a"_s);
    QCOMPARE(MsgPack::encode(map), bytes);
}

void tst_MsgPackCodec::longStringsAndBinariesUseSizedForms()
{
    const QString s32(32, u'x');
    QCOMPARE(MsgPack::encode(s32).left(2).toHex(' '), hex("d9 20").toHex(' '));
    const QByteArray bin(256, '\x07');
    const QByteArray encoded = MsgPack::encode(bin);
    QCOMPARE(encoded.left(3).toHex(' '), hex("c5 01 00").toHex(' '));
    QCOMPARE(MsgPack::decode(encoded), QCborValue(bin));
    const QString s300(300, u'y');
    QCOMPARE(MsgPack::encode(s300).left(3).toHex(' '), hex("da 01 2c").toHex(' '));
    QCOMPARE(MsgPack::decode(MsgPack::encode(s300)), QCborValue(s300));
}

void tst_MsgPackCodec::float32DecodesAsDouble()
{
    QCOMPARE(MsgPack::decode(hex("ca 3f c0 00 00")), QCborValue(1.5));
}

void tst_MsgPackCodec::emitterPacketWithoutNspDecodes()
{
    // @socket.io/redis-emitter: ["emitter", {type:2, data:["ev"]}, {rooms:[],except:[],flags:{}}]
    const QCborArray value{u"emitter"_s, QCborMap{{u"type"_s, 2}, {u"data"_s, QCborArray{u"ev"_s}}},
                           QCborMap{{u"rooms"_s, QCborArray()}, {u"except"_s, QCborArray()}, {u"flags"_s, QCborMap()}}};
    QCOMPARE(MsgPack::decode(MsgPack::encode(value)), QCborValue(value));
}

void tst_MsgPackCodec::malformedInputIsRefused_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("truncated array") << hex("93 01");
    QTest::newRow("truncated string") << hex("a5 68 69");
    QTest::newRow("trailing bytes") << hex("01 02");
    QTest::newRow("never-used type byte c1") << hex("c1");
    QTest::newRow("array32 claiming 4 billion elements") << hex("dd ff ff ff ff 01 02");
    QTest::newRow("map32 claiming 4 billion entries") << hex("df ff ff ff ff");
    QTest::newRow("bin32 longer than the input") << hex("c6 7f ff ff ff 00");
    QTest::newRow("JSON text") << QByteArray("{\"type\":1}");
    QTest::newRow("nested 40 levels deep") << QByteArray(40, '\x91') + hex("01");
}

void tst_MsgPackCodec::malformedInputIsRefused()
{
    QFETCH(QByteArray, bytes);
    QString error;
    const QCborValue value = MsgPack::decode(bytes, &error);
    QCOMPARE(value.type(), QCborValue::Invalid);
    QVERIFY(!error.isEmpty());
}

QTEST_GUILESS_MAIN(tst_MsgPackCodec)
#include "tst_msgpackcodec.moc"
