/**
 * Codes a Dyplsapi response may carry in `Code`. The isv and isp codes are the product's published
 * list; the others are Alibaba's gateway codes for signing, keys and actions.
 */
export const DyplsapiCode = {
  Ok: 'OK',
  // Business errors, answered with HTTP 200.
  IllegalArgument: 'isv.ILLEGAL_ARGUMENT',
  MobileNumberIllegal: 'isv.MOBILE_NUMBER_ILLEGAL',
  ExpireDateIllegal: 'isv.EXPIRE_DATE_ILLEGAL',
  BindConflict: 'isv.BIND_CONFLICT',
  NoAvailableNumber: 'isv.NO_AVAILABLE_NUMBER',
  NoNotExist: 'isv.NO_NOT_EXIST',
  NoUsedByOthers: 'isv.NO_USED_BY_OTHERS',
  PhoneNotEnough: 'isv.PHONE_NOT_ENOUGH',
  SubsNotExist: 'isv.SUBS_NOT_EXIST',
  UpdateConflict: 'isv.UPDATE_CONFLICT',
  ForbiddenAction: 'isv.FORBIDDEN_ACTION',
  PartnerNotExist: 'isv.PARTNER_NOT_EXIST',
  PartnerIsClosed: 'isv.PARTNER_IS_CLOSED',
  FlowLimit: 'isv.FLOW_LIMIT',
  VendorBindFailed: 'isv.VENDOR_BIND_FAILED',
  OutOfService: 'isv.OUT_OF_SERVICE',
  ProductUnsubscribe: 'isv.PRODUCT_UN_SUBSCRIPT',
  AccountNotExists: 'isv.ACCOUNT_NOT_EXISTS',
  AccountAbnormal: 'isv.ACCOUNT_ABNORMAL',
  // Platform errors.
  RamPermissionDeny: 'isp.RAM_PERMISSION_DENY',
  SystemError: 'isp.SYSTEM_ERROR',
  DaoException: 'isp.DAO_EXCEPTION',
  UnknownErrCode: 'isp.UNKNOWN_ERR_CODE',
  VendorUnavailable: 'isp.VENDOR_UNAVAILABLE',
  // Gateway errors (signing, keys, actions).
  InvalidAccessKeyIdNotFound: 'InvalidAccessKeyId.NotFound',
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  SignatureNonceUsed: 'SignatureNonceUsed',
  InvalidTimeStampExpired: 'InvalidTimeStamp.Expired',
  InvalidTimeStampFormat: 'InvalidTimeStamp.Format',
  InvalidActionNotFound: 'InvalidAction.NotFound',
  InvalidVersion: 'InvalidVersion',
  InvalidSignatureMethod: 'InvalidSignatureMethod',
  InvalidSignatureVersion: 'InvalidSignatureVersion',
} as const;

export type DyplsapiCodeValue = (typeof DyplsapiCode)[keyof typeof DyplsapiCode];

/** The Message Alibaba pairs with each business code (Chinese, as the platform sends it). */
export const DYPLSAPI_CODE_MESSAGES: Readonly<Record<string, string>> = {
  'isv.ILLEGAL_ARGUMENT': '参数非法',
  'isv.MOBILE_NUMBER_ILLEGAL': '号码格式非法',
  'isv.EXPIRE_DATE_ILLEGAL': '过期时间非法',
  'isv.BIND_CONFLICT': '绑定冲突',
  'isv.NO_AVAILABLE_NUMBER': '无可用号码',
  'isv.NO_NOT_EXIST': '号码不存在',
  'isv.NO_USED_BY_OTHERS': '号码被其他业务方占用',
  'isv.PHONE_NOT_ENOUGH': '号码不足',
  'isv.SUBS_NOT_EXIST': '绑定关系不存在',
  'isv.UPDATE_CONFLICT': '更新冲突',
  'isv.FORBIDDEN_ACTION': '无权操作',
  'isv.PARTNER_NOT_EXIST': '未知合作伙伴',
  'isv.PARTNER_IS_CLOSED': 'partner被关停',
  'isv.FLOW_LIMIT': '业务流控',
  'isv.VENDOR_BIND_FAILED': '运营商绑定失败',
  'isv.OUT_OF_SERVICE': '业务停机',
  'isv.PRODUCT_UN_SUBSCRIPT': '未开通云通信产品的阿里云客户',
  'isv.ACCOUNT_NOT_EXISTS': '账户不存在',
  'isv.ACCOUNT_ABNORMAL': '账户异常',
  'isv.POOLKEY_NOT_EXISTS': '号池不存在',
  'isv.SUBS_NOT_BELONG': '绑定关系不归属当前客户',
  'isv.BUY_NUM_OVER_LIMIT': '号码购买量超过限制',
  'isv.INVALID_PARAMETERS': '参数格式不正确',
  'isp.RAM_PERMISSION_DENY': 'RAM权限DENY',
  'isp.SYSTEM_ERROR': '系统错误',
  'isp.DAO_EXCEPTION': '数据库异常',
  'isp.UNKNOWN_ERR_CODE': '运营商未知错误',
  'isp.VENDOR_UNAVAILABLE': '运营商降级',
};
